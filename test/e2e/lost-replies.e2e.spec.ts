import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IotEndpoint } from '../../src/aws/iot-endpoint.js';
import { createTestCsr } from '../support/csr.js';
import { countDevices, insertUser, query } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { registerDevice } from '../support/http/devices.js';
import { createUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'Temp-Passw0rd!';

/**
 * AWS performs a call but its answer never arrives (a timeout after AWS acted, the SDK sending
 * the request again, a dropped connection): the step must recognise what the call made.
 */
describe('lost AWS answers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await insertUser(t, 'alice');
    await t.app.get(IotEndpoint).get();
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  const certificates = () => t.aws.snapshot().certificates;
  const claimed = async () =>
    new Set((await query<{ certificate_id: string }>(t, 'SELECT certificate_id FROM certificates')).map((row) => row.certificate_id));

  it('AdminCreateUser resent after its answer was lost: the user is created once and adopted, the name stays usable', async () => {
    t.aws.faults.inject({ api: 'AdminCreateUser', error: 'unavailable', lost: true, resent: true });
    const created = await createUser(t, { username: 'lost-u1', temporaryPassword: PASSWORD });

    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(t.aws.countCalls('AdminCreateUser')).toBeGreaterThanOrEqual(2);
    const poolUsers = t.aws.userPool.snapshot().filter((user) => user.username === 'lost-u1');
    expect(poolUsers).toHaveLength(1);
    const [row] = await query<{ id: string; cognito_sub: string }>(t, "SELECT id, cognito_sub FROM users WHERE username = 'lost-u1'");
    expect(row?.cognito_sub).toBe(poolUsers[0]!.sub);
    expect(t.aws.userPool.user('lost-u1')?.userId).toBe(row?.id);

    expect((await admin(t).delete('/v1/users/lost-u1')).status).toBe(204);
    expect((await createUser(t, { username: 'lost-u1', temporaryPassword: PASSWORD })).status).toBe(201);
    expect((await admin(t).delete('/v1/users/lost-u1')).status).toBe(204);
  });

  it("a pool user the service did not mark stays someone else's: 409, and it is left alone", async () => {
    // Made outside the service between the check and the creation: the check sees no one, AdminCreateUser "already exists".
    const stop = t.aws.onCall('AdminCreateUser', () => {
      stop();
      t.aws.userPool.seedUser({ username: 'lost-u2', password: PASSWORD });
    });
    const created = await createUser(t, { username: 'lost-u2', temporaryPassword: PASSWORD });

    expect(created.status).toBe(409);
    expect(t.aws.userPool.user('lost-u2')).toBeDefined();
    expect(await query(t, "SELECT id FROM users WHERE username = 'lost-u2'")).toEqual([]);
    await t.aws.userPool.deleteUser('lost-u2');
  });

  it("CreatePolicy resent after its answer was lost: the user's policy with the intended document is adopted", async () => {
    t.aws.faults.inject({ api: 'CreatePolicy', error: 'unavailable', lost: true, resent: true });
    const created = await createUser(t, { username: 'lost-u3', temporaryPassword: PASSWORD });

    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(t.aws.snapshot().policies.filter((name) => name === 'iotp_lost-u3')).toHaveLength(1);
    expect((await admin(t).delete('/v1/users/lost-u3')).status).toBe(204);
    expect(t.aws.snapshot().policies).not.toContain('iotp_lost-u3');
  });

  it('CreatePolicy resent during a registration: the device policy is adopted and the device registered once', async () => {
    t.aws.faults.inject({ api: 'CreatePolicy', error: 'unavailable', lost: true, resent: true });
    const registered = await registerDevice(t, 'alice', { name: 'lost-p1', csr: createTestCsr().csrPem });

    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(await countDevices(t)).toBe(1);
    expect((await admin(t).delete(`/v1/devices/${registered.body.thingName}`)).status).toBe(204);
    expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policies: [] });
  });

  it("a policy of the device's name with another document is not adopted: 409, and it is left for drift", async () => {
    await t.aws.iot.createPolicy(
      'iotp_alice_lost-p2',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }),
    );
    const registered = await registerDevice(t, 'alice', { name: 'lost-p2', csr: createTestCsr().csrPem });

    expect(registered.status).toBe(409);
    expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policies: ['iotp_alice_lost-p2'] });
    await t.aws.iot.deletePolicy('iotp_alice_lost-p2');
  });

  it("CreateCertificateFromCsr's answer lost: the certificate is found by the CSR's public key and adopted", async () => {
    t.aws.faults.inject({ api: 'CreateCertificateFromCsr', error: 'unavailable', lost: true });
    const registered = await registerDevice(t, 'alice', { name: 'lost-c1', csr: createTestCsr().csrPem });

    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(t.aws.countCalls('CreateCertificateFromCsr')).toBeGreaterThan(0);
    expect(certificates()).toEqual([{ certificateId: registered.body.certificate.certificateId, status: 'ACTIVE' }]);
    expect((await admin(t).delete(`/v1/devices/${registered.body.thingName}`)).status).toBe(204);
    expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policies: [] });
  });

  it('a CSR certificate lost, and AWS unreachable for the search: 503, and the undo finds it by its public key and retires it', async () => {
    // The answer is lost and the search fails too (AWS unreachable): the registration answers 503 and the undo looks again.
    t.aws.faults.inject({ api: 'CreateCertificateFromCsr', error: 'unavailable', lost: true });
    t.aws.faults.inject({ api: 'ListCertificates', error: 'unavailable' });
    const registered = await registerDevice(t, 'alice', { name: 'lost-c2', csr: createTestCsr().csrPem });

    expect(registered.status).toBe(503);
    expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policies: [] });
    expect(await countDevices(t)).toBe(0);
  });

  it("CreateKeysAndCertificate's answer lost: 503, and drift lists the unclaimed certificate with the reason", async () => {
    t.aws.faults.inject({ api: 'CreateKeysAndCertificate', error: 'unavailable', lost: true });
    const registered = await registerDevice(t, 'alice', { name: 'lost-k1' });

    expect(registered.status).toBe(503);
    expect(registered.body.details?.outcome).toBe('unknown');
    const [lost] = certificates();
    expect(certificates()).toHaveLength(1);
    const drift = await admin(t).get('/v1/admin/drift');
    expect(drift.body.unattachedCertificates).toEqual([
      expect.objectContaining({ kind: 'certificate', name: lost!.certificateId, status: 'ACTIVE', reason: expect.stringMatching(/answer was lost/) }),
    ]);
    const repaired = await admin(t).post('/v1/admin/drift/repair?dryRun=false&includeUnattachedCertificates=true');
    expect(repaired.body.unattachedCertificates.map((item: { result: string }) => item.result)).toEqual(['done']);
    expect(certificates()).toEqual([]);

    // The name is not blocked: the retry registers the device.
    const again = await registerDevice(t, 'alice', { name: 'lost-k1' });
    expect(again.status).toBe(201);
    expect(await claimed()).toEqual(new Set([again.body.certificate.certificateId]));
    expect((await admin(t).delete(`/v1/devices/${again.body.thingName}`)).status).toBe(204);
  });
});

describe('parallel registrations against a slow AWS that loses answers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ aws: { latencyMs: 15 } });
    await insertUser(t, 'bob');
    await t.app.get(IotEndpoint).get();
  });
  afterAll(async () => t?.close());

  it('issues one certificate per registered device plus only those drift reports, and none stays ACTIVE unclaimed after repair', async () => {
    // Three CSR creations and two generated-key creations act in AWS but their answers are lost.
    t.aws.faults.inject({ api: 'CreateCertificateFromCsr', error: 'unavailable', lost: true, after: 2, times: 3 });
    t.aws.faults.inject({ api: 'CreateKeysAndCertificate', error: 'unavailable', lost: true, after: 1, times: 2 });
    const requests = Array.from({ length: 20 }, (_, i) =>
      registerDevice(t, 'bob', { name: `par-${i}`, ...(i % 4 === 3 ? {} : { csr: createTestCsr().csrPem }) }),
    );
    const responses = await Promise.all(requests);

    const registered = responses.filter((response) => response.status === 201).length;
    expect(responses.filter((response) => response.status !== 201).map((response) => [response.status, response.body.details?.outcome])).toEqual([
      [503, 'unknown'],
      [503, 'unknown'],
    ]);
    expect(await countDevices(t)).toBe(registered);
    const creations = t.aws.countCalls('CreateCertificateFromCsr') + t.aws.countCalls('CreateKeysAndCertificate');
    const drift = await admin(t).get('/v1/admin/drift');
    expect(drift.body.unattachedCertificates).toHaveLength(2);
    expect(creations).toBe(registered + drift.body.unattachedCertificates.length);

    await admin(t).post('/v1/admin/drift/repair?dryRun=false&includeUnattachedCertificates=true');
    const rows = new Set((await query<{ certificate_id: string }>(t, 'SELECT certificate_id FROM certificates')).map((row) => row.certificate_id));
    const activeUnclaimed = t.aws.snapshot().certificates.filter((c) => c.status === 'ACTIVE' && !rows.has(c.certificateId));
    expect(activeUnclaimed).toEqual([]);
    expect(t.aws.snapshot().certificates).toHaveLength(registered);
  });
});
