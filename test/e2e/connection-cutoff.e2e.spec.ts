import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { createTestCsr } from '../support/csr.js';
import { admin } from '../support/http/admin.js';
import { registeredDevice } from '../support/http/devices.js';
import { signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Step {
  name: string;
  status: string;
  output?: { connections?: { closed: string[]; notConnected: string[]; pending: Array<{ clientId: string; code: string }> } };
}

describe('immediate cut-off: live MQTT connections closed through DeleteConnection', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  /** The closeConnections step of the newest operation of this kind on this subject. */
  async function cutoffStep(kind: string, subject: string): Promise<Step | undefined> {
    const list = await admin(t).get('/v1/operations?limit=100');
    const operation = (list.body.items as Array<{ kind: string; subject: string; status: string; steps: Step[] }>).find(
      (item) => item.kind === kind && item.subject === subject,
    );
    expect(operation?.status).toBe('COMPLETED');
    return operation?.steps.find((step) => step.name === 'closeConnections');
  }
  const asked = (from: number) => t.aws.connections.calls.slice(from);

  const pendingClientIds = async () =>
    (await t.app.get(PrismaService).pendingCutoff.findMany({ orderBy: { createdAt: 'asc' } })).map((row) => row.clientId);
  /** Moves every pending cut-off's next attempt (and, with pastGiveUp, its give-up time) into the past, as time passing would. */
  async function makeDue(options: { pastGiveUp?: boolean } = {}): Promise<void> {
    const past = new Date(Date.now() - 1000);
    await t.app.get(PrismaService).pendingCutoff.updateMany({ data: { nextAttemptAt: past, ...(options.pastGiveUp ? { giveUpAt: past } : {}) } });
  }
  /** A sample of GET /metrics, as a scraper reads it. */
  async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const text = (await t.http.get('/metrics')).text;
    for (const line of text.split('\n')) {
      const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
    }
    return undefined;
  }

  it("disabling a user closes the user's connection, keeping its session for a later enable", async () => {
    await readyUser(t, 'alice');
    expect((await signIn(t, 'alice')).status).toBe(200);
    t.aws.connections.connect('alice');
    t.aws.connections.connect('alice.tablet');
    const from = t.aws.connections.calls.length;

    expect((await admin(t).post('/v1/users/alice/disable')).status).toBeLessThan(300);

    expect(asked(from)).toEqual([{ clientId: 'alice', cleanSession: false, preventWillMessage: false }]);
    expect(t.aws.connections.isConnected('alice')).toBe(false);
    // AWS lists no connections by prefix: a <user>.<suffix> client keeps its connection until AWS's policy cache expires.
    expect(t.aws.connections.isConnected('alice.tablet')).toBe(true);
    expect((await cutoffStep('disable-user', 'user:alice'))?.output?.connections).toEqual({ closed: ['alice'], notConnected: [], pending: [] });
  });

  it("deleting a device closes the device's connection and drops its session", async () => {
    await readyUser(t, 'bob');
    const { thingName } = await registeredDevice(t, 'bob', 'kettle');
    t.aws.connections.connect(thingName);
    const from = t.aws.connections.calls.length;

    expect((await admin(t).delete(`/v1/devices/${thingName}`)).status).toBe(204);

    expect(asked(from)).toEqual([{ clientId: thingName, cleanSession: true, preventWillMessage: false }]);
    expect(t.aws.connections.isConnected(thingName)).toBe(false);
    expect(t.aws.connections.hasSession(thingName)).toBe(false);
  });

  it("revoking a certificate closes the device's connection, keeping its session for the other certificate", async () => {
    await readyUser(t, 'carol');
    const { thingName, certificateId } = await registeredDevice(t, 'carol', 'lamp');
    expect((await admin(t).post(`/v1/devices/${thingName}/certificates`).send({ csr: createTestCsr().csrPem })).status).toBe(201);
    t.aws.connections.connect(thingName);
    const from = t.aws.connections.calls.length;

    expect((await admin(t).delete(`/v1/devices/${thingName}/certificates/${certificateId}`)).status).toBe(204);

    expect(asked(from)).toEqual([{ clientId: thingName, cleanSession: false, preventWillMessage: false }]);
    expect(t.aws.connections.hasSession(thingName)).toBe(true);
  });

  it("deleting a user closes each device's connection and the user's own", async () => {
    await readyUser(t, 'dave');
    const one = await registeredDevice(t, 'dave', 'one');
    const two = await registeredDevice(t, 'dave', 'two');
    for (const clientId of ['dave', one.thingName, two.thingName]) t.aws.connections.connect(clientId);
    const from = t.aws.connections.calls.length;

    expect((await admin(t).delete('/v1/users/dave')).status).toBe(204);

    expect(asked(from).map((call) => call.clientId)).toEqual([one.thingName, two.thingName, 'dave']);
    expect(asked(from).every((call) => call.cleanSession)).toBe(true);
    for (const clientId of ['dave', one.thingName, two.thingName]) expect(t.aws.connections.isConnected(clientId)).toBe(false);
  });

  it('a DeleteConnection that fails is retried, and one that keeps failing is left to recovery without failing the operation', async () => {
    await readyUser(t, 'erin');
    const retried = await registeredDevice(t, 'erin', 'retried');
    const failing = await registeredDevice(t, 'erin', 'failing');
    t.aws.connections.connect(retried.thingName);
    t.aws.connections.connect(failing.thingName);

    t.aws.faults.inject({ api: 'DeleteConnection', error: 'throttle', times: 1 });
    expect((await admin(t).delete(`/v1/devices/${retried.thingName}`)).status).toBe(204);
    expect(t.aws.connections.calls.filter((call) => call.clientId === retried.thingName)).toHaveLength(2);
    expect(t.aws.connections.isConnected(retried.thingName)).toBe(false);

    t.aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    const deletion = await admin(t).delete(`/v1/devices/${failing.thingName}`);
    expect(deletion.status).toBe(204);
    expect((await admin(t).get(`/v1/devices/${failing.thingName}`)).status).toBe(404);
    expect(t.aws.connections.calls.filter((call) => call.clientId === failing.thingName)).toHaveLength(3);
    const step = await cutoffStep('delete-device', `device:${failing.thingName}`);
    expect(step).toMatchObject({
      status: 'done',
      output: { connections: { closed: [], notConnected: [], pending: [{ clientId: failing.thingName, code: 'AWS_UNAVAILABLE' }] } },
    });
    expect(await pendingClientIds()).toEqual([failing.thingName]);
    expect(await metric('connection_cutoffs_pending')).toBe(1);
    expect(t.aws.connections.isConnected(failing.thingName)).toBe(true);

    // Recovery's pass, once the retry is due, closes it as the step would have.
    const from = t.aws.connections.calls.length;
    await makeDue();
    await t.app.get(RecoveryService).recoverAll();
    expect(asked(from)).toEqual([{ clientId: failing.thingName, cleanSession: true, preventWillMessage: false }]);
    expect(t.aws.connections.isConnected(failing.thingName)).toBe(false);
    expect(t.aws.connections.hasSession(failing.thingName)).toBe(false);
    expect(await pendingClientIds()).toEqual([]);
    expect(await metric('connection_cutoffs_pending')).toBe(0);
    expect(await metric('connection_cutoffs_total', { outcome: 'pending' })).toBe(1);

    // Done is done: a later pass asks nothing more.
    await makeDue();
    await t.app.get(RecoveryService).recoverAll();
    expect(asked(from)).toHaveLength(1);
  });

  it('a cut-off left to recovery survives a restart: the next process closes it', async () => {
    await readyUser(t, 'fred');
    expect((await signIn(t, 'fred')).status).toBe(200);
    t.aws.connections.connect('fred');
    t.aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    expect((await admin(t).post('/v1/users/fred/disable')).status).toBe(204);
    expect(await pendingClientIds()).toEqual(['fred']);
    await makeDue();

    const from = t.aws.connections.calls.length;
    // Another process over the same database and the same AWS: its boot runs a recovery pass.
    const next = await startTestApp({ databaseUrl: t.config.database.url!, aws: t.aws });
    try {
      await next.app.get(RecoveryService).recoverAll();
      expect(asked(from)).toEqual([{ clientId: 'fred', cleanSession: false, preventWillMessage: false }]);
      expect(t.aws.connections.isConnected('fred')).toBe(false);
      expect(await pendingClientIds()).toEqual([]);
    } finally {
      await next.close();
    }
  });

  it('enabling the user again drops its pending cut-off, so the retry cannot close its new connection', async () => {
    await readyUser(t, 'gina');
    expect((await signIn(t, 'gina')).status).toBe(200);
    t.aws.connections.connect('gina');
    t.aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    expect((await admin(t).post('/v1/users/gina/disable')).status).toBe(204);
    expect(await pendingClientIds()).toEqual(['gina']);

    expect((await admin(t).post('/v1/users/gina/enable')).status).toBe(204);
    expect(await pendingClientIds()).toEqual([]);
    const from = t.aws.connections.calls.length;
    await makeDue();
    await t.app.get(RecoveryService).recoverAll();
    expect(asked(from)).toEqual([]);
    expect(t.aws.connections.isConnected('gina')).toBe(true);
    expect(await metric('connection_cutoffs_total', { outcome: 'cancelled' })).toBe(1);
  });

  it('recovery gives up on a cut-off that still fails once its hour has passed', async () => {
    await readyUser(t, 'hugo');
    expect((await signIn(t, 'hugo')).status).toBe(200);
    t.aws.connections.connect('hugo');
    t.aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: Infinity });
    expect((await admin(t).post('/v1/users/hugo/disable')).status).toBe(204);
    expect(await cutoffStep('disable-user', 'user:hugo')).toMatchObject({
      status: 'done',
      output: { connections: { closed: [], notConnected: [], pending: [{ clientId: 'hugo', code: 'AWS_UNAVAILABLE' }] } },
    });

    // Within the hour a failed retry is tried again later.
    const from = t.aws.connections.calls.length;
    await makeDue();
    await t.app.get(RecoveryService).recoverAll();
    expect(asked(from)).toHaveLength(1);
    expect(await pendingClientIds()).toEqual(['hugo']);

    // Past it, one more attempt, then the cut-off is dropped and nothing asks again.
    await makeDue({ pastGiveUp: true });
    await t.app.get(RecoveryService).recoverAll();
    expect(asked(from).map((call) => call.clientId)).toEqual(['hugo', 'hugo']);
    expect(await pendingClientIds()).toEqual([]);
    await t.app.get(RecoveryService).recoverAll();
    expect(asked(from)).toHaveLength(2);
    expect(await metric('connection_cutoffs_total', { outcome: 'given_up' })).toBe(1);
    expect(t.logs.records().filter((line) => line.msg === 'gave up closing the connection')).toMatchObject([
      { level: 40, clientId: 'hugo', reason: 'disable-user', code: 'AWS_UNAVAILABLE', attempts: 2 },
    ]);
  });
});
