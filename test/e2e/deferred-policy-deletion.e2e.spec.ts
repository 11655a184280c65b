import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { insertUser } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { registerDevice, registeredDevice } from '../support/http/devices.js';
import { signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';
import { consistency } from '../support/invariants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestCsr } from '../support/csr.js';

/** AWS: "it can take up to five minutes after a policy is detached before it's ready to be deleted". */
const DELETE_DELAY_MS = 5 * 60_000;

type Step = { name: string; status: string; attempts?: number; retryAt?: string; error?: { code: string; message: string } };
type Operation = { kind: string; subject: string; status: string; steps: Step[] };

describe('policy deletion deferred while AWS refuses it after a detach', () => {
  let t: TestApp;
  let now = Date.now();

  beforeAll(async () => {
    t = await startTestApp({ aws: { policyDeleteDelayMs: DELETE_DELAY_MS, clock: () => now } });
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  const operations = async (): Promise<Operation[]> => (await admin(t).get('/v1/operations?limit=100')).body.items as Operation[];
  const drift = async () => (await admin(t).get('/v1/admin/drift')).body as { orphans: unknown[]; pendingDeletion: string[]; inProgress: string[] };

  /** Moves time on: the fake AWS's clock by `ms`, and every parked operation's retry time to now; then one recovery pass. */
  async function advance(ms: number): Promise<void> {
    now += ms;
    await t.app.get(PrismaService)
      .$executeRaw`UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE active_subject IS NOT NULL AND lease_owner IS NULL`;
    await t.app.get(RecoveryService).recoverAll();
  }

  it('deletes a device at once for the API and finishes its policy once AWS accepts it', async () => {
    await insertUser(t, 'dora');
    const { thingName } = await registeredDevice(t, 'dora', 'probe');

    expect((await admin(t).delete(`/v1/devices/${thingName}`)).status).toBe(204);
    expect((await admin(t).get(`/v1/devices/${thingName}`)).status).toBe(404);
    expect(t.aws.snapshot().things).toEqual([]);
    expect(t.aws.snapshot().certificates).toEqual([]);

    const deletion = (await operations()).find((operation) => operation.subject === `device:${thingName}`)!;
    expect(deletion).toMatchObject({ kind: 'delete-device', status: 'RUNNING' });
    expect(deletion.steps.at(-1)).toMatchObject({ name: 'deletePolicy', status: 'waiting', attempts: 1, error: { code: 'CONFLICT' } });
    expect(deletion.steps.at(-1)!.error!.message).toMatch(/five minutes/);
    expect(deletion.steps.slice(0, -1).every((step) => step.status === 'done')).toBe(true);
    expect(await drift()).toMatchObject({ orphans: [], pendingDeletion: [thingName] });

    // Not yet accepted by AWS: tried again, refused again, waits longer.
    await advance(60_000);
    const retried = (await operations()).find((operation) => operation.subject === `device:${thingName}`)!;
    expect(retried.steps.at(-1)).toMatchObject({ status: 'waiting', attempts: 2 });

    await advance(DELETE_DELAY_MS);
    expect((await operations()).find((operation) => operation.subject === `device:${thingName}`)).toMatchObject({ status: 'COMPLETED' });
    expect(t.aws.snapshot().policies).toEqual([]);
    expect(await drift()).toMatchObject({ orphans: [], pendingDeletion: [], inProgress: [] });
    await t.app.get(PrismaService).$executeRaw`DELETE FROM users WHERE username = 'dora'`;
  });

  it('deletes a user at once for the API, its device and user policies deleted by recovery', async () => {
    await readyUser(t, 'uma');
    expect((await signIn(t, 'uma')).status).toBe(200);
    const { thingName } = await registeredDevice(t, 'uma', 'sensor');

    expect((await admin(t).delete('/v1/users/uma')).status).toBe(204);
    expect((await admin(t).get('/v1/users/uma')).status).toBe(404);
    expect((await admin(t).get(`/v1/devices/${thingName}`)).status).toBe(404);

    const pending = (await operations()).filter((operation) => operation.status === 'RUNNING');
    expect(pending.map((operation) => [operation.kind, operation.steps.at(-1)!.name, operation.steps.at(-1)!.status]).sort()).toEqual([
      ['delete-device', 'deletePolicy', 'waiting'],
      ['delete-user', 'deletePolicy', 'waiting'],
    ]);
    expect(await drift()).toMatchObject({ orphans: [], pendingDeletion: [thingName, 'iotp_uma'].sort() });

    await advance(DELETE_DELAY_MS);
    expect((await operations()).filter((operation) => operation.status === 'RUNNING')).toEqual([]);
    expect(await drift()).toMatchObject({ orphans: [], pendingDeletion: [] });
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('leaves no orphan policy when a registration undone after AttachPolicy cannot delete its policy at once', async () => {
    await insertUser(t, 'rita');
    t.aws.faults.inject({ api: 'AttachThingPrincipal', error: 'unavailable' });

    const failed = await registerDevice(t, 'rita', { name: 'gauge', csr: createTestCsr().csrPem });
    expect(failed.status).toBe(503);
    const undo = (await operations()).find((operation) => operation.kind === 'register-device' && operation.subject.endsWith('rita_gauge'))!;
    expect(undo.status).toBe('UNDOING');
    expect(undo.steps.find((step) => step.name === 'createPolicy')).toMatchObject({ status: 'waiting' });
    expect(await drift()).toMatchObject({ orphans: [], pendingDeletion: ['iotp_rita_gauge'] });

    await advance(DELETE_DELAY_MS);
    expect((await operations()).find((operation) => operation.kind === 'register-device' && operation.subject.endsWith('rita_gauge'))).toMatchObject({
      status: 'UNDONE',
    });
    expect(t.aws.snapshot().policies).toEqual([]);
    expect(await drift()).toMatchObject({ orphans: [], pendingDeletion: [] });
    // rita is a row only (no Cognito user), which consistency would report as a ghost.
    await t.app.get(PrismaService).$executeRaw`DELETE FROM users WHERE username = 'rita'`;
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });
});
