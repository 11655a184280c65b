import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { query } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { registeredDevice } from '../support/http/devices.js';
import { PASSWORD, readyUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Item = { kind: string; name: string; action: string; result?: string };
type Report = {
  filter?: Record<string, string>;
  orphans: Item[];
  ghosts: Item[];
  unattachedCertificates: Item[];
  changedPolicies: Item[];
  scanned: Record<string, number>;
};

const brief = (items: Item[]) => items.map(({ kind, name, action }) => `${kind} ${name} ${action}`);

/**
 * alice (scanner), alina (no device), bob (sensor, its thing deleted behind the service's back),
 * an orphan thing and an orphan pool user under "al" names, and a certificate attached to nothing.
 */
describe('drift for one user or a name prefix', () => {
  let t: TestApp;
  let unattached: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { DRIFT_SCAN_BATCH: '2' } });
    for (const username of ['alice', 'alina', 'bob']) await readyUser(t, username);
    await registeredDevice(t, 'alice', 'scanner');
    const sensor = await registeredDevice(t, 'bob', 'sensor');
    for (const { principal } of t.aws.iot.snapshot().thingPrincipals.filter((link) => link.thingName === sensor.thingName)) {
      await t.aws.iot.detachThingPrincipal(sensor.thingName, principal);
    }
    await t.aws.iot.deleteThing(sensor.thingName);
    await t.aws.iot.createThing('iotp_alfred_probe', {});
    await t.aws.userPool.createUser({ username: 'alfred', userId: randomUUID(), sendInvite: false, temporaryPassword: PASSWORD });
    unattached = (await t.aws.iot.createCertificateFromCsr(createTestCsr().csrPem)).certificateId;
  });
  afterAll(async () => t?.close());

  const detect = async (queryString: string): Promise<Report> => {
    const response = await admin(t).get(`/v1/admin/drift${queryString}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as Report;
  };

  it('scans everything without a filter, and says so by leaving filter out', async () => {
    const report = await detect('');
    expect(report.filter).toBeUndefined();
    expect(brief(report.orphans)).toEqual(['thing iotp_alfred_probe delete', 'pool-user alfred delete']);
    expect(brief(report.ghosts)).toEqual(['thing iotp_bob_sensor mark']);
    expect(report.unattachedCertificates.map((item) => item.name)).toEqual([unattached]);
    expect(report.scanned).toEqual({ things: 2, policies: 5, certificates: 3, users: 3, devices: 2, poolUsers: 4, poolUsersWithoutMarker: 0 });
  });

  it("?user= compares one user's resources only, reading their certificates one by one instead of listing every certificate", async () => {
    t.aws.resetCalls();
    const report = await detect('?user=bob');

    expect(report.filter).toEqual({ user: 'bob' });
    expect(report.orphans).toEqual([]);
    expect(brief(report.ghosts)).toEqual(['thing iotp_bob_sensor mark']);
    // Nothing ties a certificate attached to nothing to a user.
    expect(report.unattachedCertificates).toEqual([]);
    expect(report.scanned).toEqual({ things: 0, policies: 2, certificates: 1, users: 1, devices: 1, poolUsers: 1, poolUsersWithoutMarker: 0 });
    // AWS lists every thing and policy still; the per-resource calls are bob's.
    expect(t.aws.countCalls('ListThingPrincipals')).toBe(1);
    expect(t.aws.countCalls('ListTargetsForPolicy')).toBe(2);
    expect(t.aws.countCalls('DescribeCertificate')).toBe(1);
    expect(t.aws.countCalls('ListCertificates')).toBe(0);
    expect(t.aws.countCalls('ListUsers')).toBe(0);
    expect(t.aws.countCalls('AdminGetUser')).toBe(1);
  });

  it('?prefix= compares the users whose names start with it, and what carries their names', async () => {
    const report = await detect('?prefix=al');

    expect(report.filter).toEqual({ prefix: 'al' });
    expect(brief(report.orphans)).toEqual(['thing iotp_alfred_probe delete', 'pool-user alfred delete']);
    expect(report.ghosts).toEqual([]);
    expect(report.scanned).toMatchObject({ things: 2, users: 2, devices: 1, poolUsers: 3 });
    expect((await detect('?prefix=al&user=bob')).scanned).toMatchObject({ users: 0, devices: 0, poolUsers: 0 });
  });

  it('repairs only what the filter covers', async () => {
    const response = await admin(t).post('/v1/admin/drift/repair?prefix=al&dryRun=false');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.filter).toEqual({ prefix: 'al' });
    expect((response.body.orphans as Item[]).map((item) => `${item.name} ${item.result}`)).toEqual(['iotp_alfred_probe done', 'alfred done']);
    expect(response.body.ghosts).toEqual([]);

    expect(t.aws.userPool.user('alfred')).toBeUndefined();
    expect(t.aws.snapshot().things.map((thing) => thing.thingName)).toEqual(['iotp_alice_scanner']);
    // bob's ghost is outside the filter: not marked.
    expect(await query(t, 'SELECT thing_name FROM devices WHERE drift_detected_at IS NOT NULL')).toEqual([]);
    expect(t.aws.iot.certificateStatus(unattached)).toBe('ACTIVE');
  });

  it('refuses a user or prefix that cannot be (the start of) a username, and unknown parameters', async () => {
    for (const queryString of ['?user=Bob', '?user=a_b', '?prefix=', '?prefix=al%25', '?user=' + 'a'.repeat(49), '?site=dock']) {
      const response = await admin(t).get(`/v1/admin/drift${queryString}`);
      expect(response.status, queryString).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await admin(t).post('/v1/admin/drift/repair?prefix=A')).status).toBe(400);
  });

  it('logs what it scanned when it finishes', async () => {
    await detect('?user=alice');
    const finished = t.logs.records().filter((record) => record.msg === 'drift scan finished');
    expect(finished.at(-1)).toMatchObject({ filter: { user: 'alice' }, scanned: { users: 1, devices: 1, certificates: 1 } });
  });
});
