import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IotEndpoint } from '../../src/aws/iot-endpoint.js';
import { OperationRunner } from '../../src/operations/operation-runner.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import type { FaultError } from '../../src/local/local-runtime.js';
import { createTestCsr } from '../support/csr.js';
import { countDevices, insertUser, query } from '../support/factories.js';
import { registerDevice } from '../support/http/devices.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const EXPECTED: Record<'throttle' | 'unavailable', string> = { throttle: 'AWS_THROTTLED', unavailable: 'AWS_UNAVAILABLE' };

/** Every IoT API registration calls, in order, with and without a CSR. */
const WITH_CSR = ['CreatePolicy', 'CreateThing', 'CreateCertificateFromCsr', 'AttachPolicy', 'AttachThingPrincipal'];
const WITHOUT_CSR = ['CreateKeysAndCertificate'];

describe('device registration that fails part-way', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await insertUser(t, 'alice');
    // The MQTT endpoint is asked for once per process; ask now, so every registration makes the same calls.
    await t.app.get(IotEndpoint).get();
  });
  afterEach(() => t.aws.faults.clear());
  afterAll(async () => t?.close());

  it('calls exactly the APIs the failure cases cover', async () => {
    t.aws.resetCalls();
    const withCsr = await registerDevice(t, 'alice', { name: 'probe-1', csr: createTestCsr().csrPem });
    const withCsrCalls = t.aws.calls.map((call) => call.api);
    t.aws.resetCalls();
    const withoutCsr = await registerDevice(t, 'alice', { name: 'probe-2' });

    expect([withCsr.status, withoutCsr.status]).toEqual([201, 201]);
    expect(withCsrCalls).toEqual(WITH_CSR);
    expect(t.aws.calls.map((call) => call.api)).toEqual(
      WITH_CSR.map((api) => (api === 'CreateCertificateFromCsr' ? 'CreateKeysAndCertificate' : api)),
    );
    for (const name of ['probe-1', 'probe-2']) {
      expect((await t.http.delete(`/v1/devices/iotp_alice_${name}`).set('x-api-key', ADMIN_KEY)).status).toBe(204);
    }
    expect(t.aws.isEmpty()).toBe(true);
  });

  const cases = [...WITH_CSR.map((api) => ({ api, csr: true })), ...WITHOUT_CSR.map((api) => ({ api, csr: false }))].flatMap((c) =>
    (['throttle', 'unavailable'] as const).map((error) => ({ ...c, error })),
  );

  it.each(cases)('a fault ($error) on $api leaves nothing in AWS and no row, and answers 503', async ({ api, csr, error }) => {
    t.aws.faults.inject({ api, error: error as FaultError });
    const response = await registerDevice(t, 'alice', { name: 'doomed', ...(csr ? { csr: createTestCsr().csrPem } : {}) });

    expect(response.status).toBe(503);
    expect(response.body.code).toBe(EXPECTED[error]);
    expect(response.body.privateKey).toBeUndefined();
    expect(t.aws.snapshot()).toMatchObject({ things: [], certificates: [], policies: [], policyAttachments: [], thingPrincipals: [] });
    expect(t.aws.isEmpty()).toBe(true);
    expect(await countDevices(t)).toBe(0);
  });

  it('undoes in reverse, in the order AWS requires, and records the operation as undone', async () => {
    t.aws.faults.inject({ api: 'AttachThingPrincipal', error: 'unavailable' });
    t.aws.resetCalls();
    const response = await registerDevice(t, 'alice', { name: 'undo-order', csr: createTestCsr().csrPem });

    expect(response.status).toBe(503);
    const calls = t.aws.calls.map((call) => call.api);
    expect(calls.slice(calls.indexOf('AttachThingPrincipal') + 1)).toEqual([
      'DetachThingPrincipal',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
    ]);
    expect(t.aws.calls.find((call) => call.api === 'UpdateCertificate')?.input).toMatchObject({ newStatus: 'INACTIVE' });
    const operations = await t.http.get('/v1/operations').set('x-api-key', ADMIN_KEY);
    expect(operations.body.items[0]).toMatchObject({
      kind: 'register-device',
      subject: 'device:iotp_alice_undo-order',
      status: 'UNDONE',
      error: { code: 'AWS_UNAVAILABLE' },
    });
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('can register the same name once the failure is gone', async () => {
    t.aws.faults.inject({ api: 'AttachPolicy', error: 'throttle' });
    const failed = await registerDevice(t, 'alice', { name: 'retry', csr: createTestCsr().csrPem });
    const retried = await registerDevice(t, 'alice', { name: 'retry', csr: createTestCsr().csrPem });

    expect([failed.status, retried.status]).toEqual([503, 201]);
    expect((await t.http.delete('/v1/devices/iotp_alice_retry').set('x-api-key', ADMIN_KEY)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('undoes everything when the owner is deleted while the device is being created (404)', async () => {
    await insertUser(t, 'leaving');
    const stop = t.aws.onCall('AttachThingPrincipal', async () => {
      await query(t, `DELETE FROM users WHERE username = 'leaving'`);
    });
    try {
      const response = await registerDevice(t, 'leaving', { name: 'orphan', csr: createTestCsr().csrPem });

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    } finally {
      stop();
    }
    expect(t.aws.isEmpty()).toBe(true);
    expect(await countDevices(t)).toBe(0);
  });

  it('stops a concurrent registration of the same device with 409 OPERATION_IN_PROGRESS', async () => {
    let release!: () => void;
    let reached!: () => void;
    const atCreateThing = new Promise<void>((resolve) => (reached = resolve));
    const stop = t.aws.onCall('CreateThing', () => {
      reached();
      return new Promise<void>((resolve) => (release = resolve));
    });
    const first = registerDevice(t, 'alice', { name: 'racer', csr: createTestCsr().csrPem }).then((r) => r);
    await atCreateThing;
    stop();

    const second = await registerDevice(t, 'alice', { name: 'racer', csr: createTestCsr().csrPem });
    release();

    expect(second.status).toBe(409);
    expect(second.body.code).toBe('OPERATION_IN_PROGRESS');
    expect((await first).status).toBe(201);
    expect(t.aws.snapshot().certificates).toHaveLength(1);
    expect((await t.http.delete('/v1/devices/iotp_alice_racer').set('x-api-key', ADMIN_KEY)).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('refuses (409) when AWS already holds a policy of that name that no device claims, and leaves it alone', async () => {
    await t.aws.iot.createPolicy('iotp_alice_drift', JSON.stringify({ Version: '2012-10-17', Statement: [] }));
    const response = await registerDevice(t, 'alice', { name: 'drift', csr: createTestCsr().csrPem });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      code: 'CONFLICT',
      details: { policyName: 'iotp_alice_drift', awsError: 'ResourceAlreadyExistsException' },
    });
    expect(t.aws.snapshot().policies).toEqual(['iotp_alice_drift']);
    await t.aws.iot.deletePolicy('iotp_alice_drift');
    expect(t.aws.isEmpty()).toBe(true);
  });
});

describe('device registration whose process stops part-way', () => {
  it('is undone by recovery in another process, which knows the operation by its kind', async () => {
    const env = { OPERATION_LEASE_MS: '500' };
    const first = await startTestApp({ env });
    let second: TestApp | undefined;
    let resume = () => {};
    try {
      await insertUser(first, 'alice');
      const atAttachPolicy = new Promise<void>((reached) => {
        const stop = first.aws.onCall('AttachPolicy', () => {
          stop();
          reached();
          return new Promise<void>((resolve) => (resume = resolve));
        });
      });
      const stalled = registerDevice(first, 'alice', { name: 'stalled', csr: createTestCsr().csrPem }).then((r) => r);
      await atAttachPolicy;
      expect(first.aws.snapshot().certificates).toHaveLength(1);

      // The first process goes quiet (a live one keeps renewing its lease however slow the step):
      // once the lease has run out, another process takes over.
      first.app.get(OperationRunner).onModuleDestroy();
      await new Promise((resolve) => setTimeout(resolve, 700));
      second = await startTestApp({ env, aws: first.aws, databaseUrl: first.config.database.url });
      await second.app.get(RecoveryService).recoverAll();

      expect(first.aws.isEmpty()).toBe(true);
      expect(await countDevices(second)).toBe(0);
      const operations = await second.http.get('/v1/operations').set('x-api-key', ADMIN_KEY);
      expect(operations.body.items[0]).toMatchObject({ kind: 'register-device', status: 'UNDONE', error: { code: 'RECOVERED' } });

      resume();
      expect((await stalled).status).not.toBe(201);
      expect(first.aws.isEmpty()).toBe(true);
      expect(await countDevices(second)).toBe(0);
    } finally {
      resume();
      await second?.close();
      await first.close();
    }
  });
});

describe('device registration while AWS hangs', () => {
  const OPERATION_TIMEOUT_MS = 1000;
  /** Far above the request's AWS budget, far below "hangs": without the budget the request would never answer. */
  const BOUND_MS = 20_000;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AWS_OPERATION_TIMEOUT_MS: String(OPERATION_TIMEOUT_MS) } });
    await insertUser(t, 'alice');
    await t.app.get(IotEndpoint).get();
  });
  afterAll(async () => t?.close());

  it('answers 503 AWS_UNAVAILABLE with Retry-After once the request has used up its AWS budget, and recovery undoes what it began', async () => {
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const stop = t.aws.onCall('CreateThing', () => hanging);
    try {
      const response = await registerDevice(t, 'alice', { name: 'stuck', csr: createTestCsr().csrPem }).timeout(BOUND_MS);
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ code: 'AWS_UNAVAILABLE', details: { api: 'CreateThing', reason: 'DEADLINE_EXCEEDED' } });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      stop();
      release();
    }
    // The undo ran out of the same budget; recovery, outside any request, finishes it.
    await query(t, `UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE status IN ('RUNNING', 'UNDOING')`);
    await t.app.get(RecoveryService).recoverAll();
    const operations = await query<{ status: string }>(t, `SELECT status FROM operations WHERE subject = 'device:iotp_alice_stuck'`);
    expect(operations.map((row) => row.status)).toEqual(['UNDONE']);
    expect(await countDevices(t)).toBe(0);
    expect(t.aws.snapshot().policies).not.toContain('iotp_alice_stuck');
    expect(t.aws.snapshot().things).toEqual([]);
  });
});
