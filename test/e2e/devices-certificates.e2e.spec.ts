import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CERT_NOT_AFTER } from '../../src/local/x509.js';
import { createTestCsr } from '../support/csr.js';
import { dumpDatabase, insertUser, tamperedCsr } from '../support/factories.js';
import { registeredDevice } from '../support/http/devices.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

describe('device certificates: rotation and revocation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await insertUser(t, 'alice');
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  const cert = (id: string) => `arn:aws:iot:${t.aws.region}:${t.aws.accountId}:cert/${id}`;
  const rotate = (thingName: string, body: { csr?: string } = {}) =>
    t.http.post(`/v1/devices/${thingName}/certificates`).set('x-api-key', ADMIN_KEY).send(body);
  const revoke = (thingName: string, certificateId: string, force?: boolean) =>
    t.http
      .delete(`/v1/devices/${thingName}/certificates/${certificateId}${force === undefined ? '' : `?force=${force}`}`)
      .set('x-api-key', ADMIN_KEY);
  const getDevice = (thingName: string) => t.http.get(`/v1/devices/${thingName}`).set('x-api-key', ADMIN_KEY);
  const deleteDevice = (thingName: string) => t.http.delete(`/v1/devices/${thingName}`).set('x-api-key', ADMIN_KEY);

  it('rotates: both certificates stay attached and ACTIVE until the old one is revoked', async () => {
    const { thingName, certificateId: old } = await registeredDevice(t, 'alice', 'rotating');
    const rotated = await rotate(thingName, { csr: createTestCsr().csrPem });

    expect(rotated.status).toBe(201);
    expect(rotated.body).toEqual({
      certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
      certificateArn: cert(rotated.body.certificateId),
      certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
      notAfter: AWS_CERT_NOT_AFTER.toISOString(),
      status: 'ACTIVE',
    });
    const fresh = rotated.body.certificateId as string;
    for (const id of [old, fresh]) {
      expect(t.aws.iot.certificateStatus(id)).toBe('ACTIVE');
      expect(t.aws.snapshot().thingPrincipals).toContainEqual({ thingName, principal: cert(id) });
      expect(t.aws.snapshot().policyAttachments).toContainEqual({ policyName: thingName, target: cert(id) });
    }
    expect((await getDevice(thingName)).body.certificates.map((c: { certificateId: string }) => c.certificateId).sort()).toEqual([old, fresh].sort());

    t.aws.resetCalls();
    expect((await revoke(thingName, old)).status).toBe(204);

    expect(t.aws.calls.map((call) => [call.api, (call.input as { newStatus?: string }).newStatus])).toEqual([
      ['DetachThingPrincipal', undefined],
      ['DetachPolicy', undefined],
      ['UpdateCertificate', 'REVOKED'],
      ['DeleteCertificate', undefined],
    ]);
    expect(t.aws.snapshot()).toMatchObject({
      certificates: [{ certificateId: fresh, status: 'ACTIVE' }],
      thingPrincipals: [{ thingName, principal: cert(fresh) }],
      policyAttachments: [{ policyName: thingName, target: cert(fresh) }],
    });
    expect((await getDevice(thingName)).body.certificates).toEqual([expect.objectContaining({ certificateId: fresh, status: 'ACTIVE' })]);
    expect((await deleteDevice(thingName)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('rotates without a CSR: the new private key is in that response only', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'keyless-rotation');
    const rotated = await rotate(thingName);

    expect(rotated.status).toBe(201);
    const keyLines = (rotated.body.privateKey as string).split('\n').filter((line) => line.length === 64);
    expect(keyLines.length).toBeGreaterThan(10);
    const database = await dumpDatabase(t);
    const device = await getDevice(thingName);
    for (const line of keyLines) {
      expect(database).not.toContain(line);
      expect(device.text).not.toContain(line);
    }
    expect((await deleteDevice(thingName)).status).toBe(204);
  });

  it('refuses to revoke the last certificate without force (409), changing nothing', async () => {
    const { thingName, certificateId } = await registeredDevice(t, 'alice', 'single');
    const before = t.aws.snapshot();
    t.aws.resetCalls();

    const refused = await revoke(thingName, certificateId);
    const notForced = await revoke(thingName, certificateId, false);

    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'LAST_CERTIFICATE', certificateId } });
    expect(notForced.status).toBe(409);
    expect(t.aws.calls).toEqual([]);
    expect(t.aws.snapshot()).toEqual(before);
    expect((await getDevice(thingName)).body.certificates).toHaveLength(1);
  });

  it('revokes the last certificate with force=true, leaving the device without one', async () => {
    const thingName = 'iotp_alice_single';
    const { body } = await getDevice(thingName);
    const response = await revoke(thingName, body.certificates[0].certificateId, true);

    expect(response.status).toBe(204);
    expect((await getDevice(thingName)).body.certificates).toEqual([]);
    const snapshot = t.aws.snapshot();
    expect(snapshot).toMatchObject({ certificates: [], thingPrincipals: [], policyAttachments: [] });
    expect(snapshot.things.map((thing) => thing.thingName)).toEqual([thingName]);
    expect(snapshot.policies).toEqual([thingName]);
    expect((await deleteDevice(thingName)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('finishes a revocation that failed mid-way when the request is repeated', async () => {
    const { thingName, certificateId: old } = await registeredDevice(t, 'alice', 'flaky-revoke');
    expect((await rotate(thingName, { csr: createTestCsr().csrPem })).status).toBe(201);
    t.aws.faults.inject({ api: 'DeleteCertificate', error: 'unavailable' });

    const failed = await revoke(thingName, old);
    expect(failed.status).toBe(503);
    expect(t.aws.iot.certificateStatus(old)).toBe('REVOKED');
    expect((await getDevice(thingName)).body.certificates).toContainEqual(expect.objectContaining({ certificateId: old, status: 'REVOKED' }));

    const repeated = await revoke(thingName, old);
    expect(repeated.status).toBe(204);
    expect(t.aws.iot.certificateStatus(old)).toBeUndefined();
    expect((await getDevice(thingName)).body.certificates).toHaveLength(1);
    expect((await revoke(thingName, old)).status).toBe(404);
    expect((await deleteDevice(thingName)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('undoes a rotation that fails part-way, leaving the device as it was', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'failed-rotation');
    const before = t.aws.snapshot();
    const rowsBefore = (await getDevice(thingName)).body.certificates;
    t.aws.faults.inject({ api: 'AttachThingPrincipal', error: 'throttle' });

    const response = await rotate(thingName);

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('AWS_THROTTLED');
    expect(response.body.privateKey).toBeUndefined();
    expect(t.aws.snapshot()).toEqual(before);
    expect((await getDevice(thingName)).body.certificates).toEqual(rowsBefore);
    expect((await deleteDevice(thingName)).status).toBe(204);
  });

  it('refuses a bad CSR for rotation with 400 INVALID_CSR, before any AWS call', async () => {
    const { thingName } = await registeredDevice(t, 'alice', 'strict');
    t.aws.resetCalls();
    const response = await rotate(thingName, { csr: tamperedCsr(createTestCsr().csrPem) });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_CSR');
    expect(t.aws.calls).toEqual([]);
    expect((await deleteDevice(thingName)).status).toBe(204);
  });

  it('answers 404 for an unknown device or a certificate of another device', async () => {
    const first = await registeredDevice(t, 'alice', 'first');
    const second = await registeredDevice(t, 'alice', 'second');

    expect((await rotate('iotp_alice_nothing')).status).toBe(404);
    expect((await revoke('iotp_alice_nothing', first.certificateId)).status).toBe(404);
    const crossed = await revoke(first.thingName, second.certificateId, true);
    expect(crossed.status).toBe(404);
    expect(crossed.body.details).toMatchObject({ thingName: first.thingName, certificateId: second.certificateId });
    for (const device of [first, second]) expect((await deleteDevice(device.thingName)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });
});
