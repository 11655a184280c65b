import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { insertUser, query, tamperedCsr } from '../support/factories.js';
import { registeredDevice } from '../support/http/devices.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe("certificate rotation and revocation from the owner's app", () => {
  let t: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestApp();
    for (const username of ['alice', 'bob']) {
      await insertUser(t, username);
      await query(t, 'UPDATE users SET cognito_sub = $2 WHERE username = $1', [username, `sub-${username}`]);
    }
    alice = t.aws.tokens.idToken({ sub: 'sub-alice', username: 'alice' });
    bob = t.aws.tokens.idToken({ sub: 'sub-bob', username: 'bob' });
  });
  afterAll(async () => t?.close());

  const rotate = (token: string, name: string, body: object) =>
    t.http.post(`/v1/me/devices/${name}/certificates`).set('authorization', `Bearer ${token}`).send(body);
  const revoke = (token: string, name: string, certificateId: string, force = false) =>
    t.http.delete(`/v1/me/devices/${name}/certificates/${certificateId}${force ? '?force=true' : ''}`).set('authorization', `Bearer ${token}`);

  it('rotates from a CSR and revokes the old certificate, as the admin routes do', async () => {
    const { thingName, certificateId: old } = await registeredDevice(t, 'alice', 'kettle');
    const rotated = await rotate(alice, 'kettle', { csr: createTestCsr().csrPem });

    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ certificateId: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'ACTIVE' });
    expect(rotated.body).not.toHaveProperty('privateKey');
    expect(t.aws.iot.certificateStatus(rotated.body.certificateId)).toBe('ACTIVE');

    t.aws.resetCalls();
    expect((await revoke(alice, 'kettle', old)).status).toBe(204);
    expect(t.aws.calls.map((call) => call.api)).toEqual(
      expect.arrayContaining(['DetachThingPrincipal', 'DetachPolicy', 'UpdateCertificate', 'DeleteCertificate']),
    );
    expect(t.aws.snapshot().certificates.map((c) => c.certificateId)).not.toContain(old);
    const rows = await query<{ certificate_id: string }>(
      t,
      'SELECT c.certificate_id FROM certificates c JOIN devices d ON d.id = c.device_id WHERE d.thing_name = $1',
      [thingName],
    );
    expect(rows.map((row) => row.certificate_id)).toEqual([rotated.body.certificateId]);
  });

  it('keeps the last certificate unless forced', async () => {
    const { certificateId } = await registeredDevice(t, 'alice', 'lamp');

    const kept = await revoke(alice, 'lamp', certificateId);
    expect(kept.status).toBe(409);
    expect(kept.body.details).toMatchObject({ reason: 'LAST_CERTIFICATE' });
    expect((await revoke(alice, 'lamp', certificateId, true)).status).toBe(204);
  });

  it("answers 404 for another user's device and touches nothing of it", async () => {
    const { certificateId } = await registeredDevice(t, 'bob', 'radio');
    t.aws.resetCalls();

    const rotation = await rotate(alice, 'radio', { csr: createTestCsr().csrPem });
    const revocation = await revoke(alice, 'radio', certificateId, true);

    for (const response of [rotation, revocation]) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
    expect(t.aws.calls).toEqual([]);
    expect(t.aws.iot.certificateStatus(certificateId)).toBe('ACTIVE');
    expect((await rotate(bob, 'radio', { csr: createTestCsr().csrPem })).status).toBe(201);
  });

  it('requires a CSR that verifies: the app never receives a private key', async () => {
    await registeredDevice(t, 'alice', 'fan');

    const without = await rotate(alice, 'fan', {});
    const tampered = await rotate(alice, 'fan', { csr: tamperedCsr(createTestCsr().csrPem) });

    expect(without.status).toBe(400);
    expect(without.body.code).toBe('VALIDATION_FAILED');
    expect(tampered.status).toBe(400);
    expect(tampered.body.code).toBe('INVALID_CSR');
  });

  it("refuses a token whose sub is not the user row's", async () => {
    await registeredDevice(t, 'alice', 'clock');
    const impostor = t.aws.tokens.idToken({ sub: 'sub-other', username: 'alice' });

    const response = await rotate(impostor, 'clock', { csr: createTestCsr().csrPem });
    expect(response.status).toBe(403);
    expect(response.body.details).toMatchObject({ reason: 'NOT_PROVISIONED' });
  });
});
