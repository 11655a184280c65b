import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAws } from '../fakes/fake-aws.js';
import { createTestCsr } from '../support/csr.js';
import { createTestDatabase } from '../support/database.js';
import { registeredDevice } from '../support/http/devices.js';
import { consistency, readOperations, readRows, unfinished } from '../support/invariants.js';
import { buildChildService, ServiceProcess, type CallDecision } from '../support/service-process.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { PASSWORD, readyUser } from '../support/http/users.js';

/**
 * The real service as a child process over a real Postgres, SIGKILLed at a chosen AWS call (before
 * the call reaches AWS, or after AWS acted and before the child heard back). Its AWS calls are
 * served over IPC by the FakeAws held here, so AWS state survives the kill. A fresh child over the
 * same database recovers at boot and then every RECOVERY_INTERVAL_MS: after it, no orphan in the
 * fakes, no ghost row, and the operation UNDONE (creations) or COMPLETED (deletions).
 */

const CHILD_ENV = { OPERATION_LEASE_MS: '500', RECOVERY_INTERVAL_MS: '500' };

describe('SIGKILL of the service process mid-operation', () => {
  let build: Awaited<ReturnType<typeof buildChildService>>;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let aws: FakeAws;
  /** In-process app over the same database and fakes, for setup only. */
  let helper: TestApp;
  const children: ServiceProcess[] = [];
  /** The live child: each test's victim is the previous test's successor (a boot costs seconds). */
  let current: ServiceProcess | undefined;

  beforeAll(async () => {
    [build, database] = await Promise.all([buildChildService(), createTestDatabase()]);
    aws = new FakeAws();
    helper = await startTestApp({ databaseUrl: database.url, aws, env: { OPERATION_LEASE_MS: '500' } });
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await helper?.close();
    await database?.drop();
    await build?.remove();
  });

  async function start(): Promise<ServiceProcess> {
    const child = await ServiceProcess.start({ entry: build.entry, aws, databaseUrl: database.url, env: CHILD_ENV });
    children.push(child);
    current = child;
    return child;
  }

  async function live(): Promise<ServiceProcess> {
    return current?.alive ? current : start();
  }

  /**
   * Starts a child that is SIGKILLed at the first call of `method`, sends it the request (which
   * never gets an answer), checks that the kill left an operation RUNNING, then starts a fresh
   * child and waits until its recovery has ended every operation.
   */
  async function killAndRecover(
    method: string,
    decision: Exclude<CallDecision, 'serve'>,
    send: (child: ServiceProcess) => Promise<{ status: number }>,
  ): Promise<{ successor: ServiceProcess; leftBehind: ReturnType<FakeAws['snapshot']> }> {
    let armed = true;
    const victim = await live();
    victim.onAwsCall = (call) => {
      if (!armed || call.method !== method) return 'serve';
      armed = false;
      return decision;
    };
    expect((await send(victim)).status).toBe(0);
    await victim.exit();
    expect(armed, `the child never called ${method}`).toBe(false);
    const leftBehind = aws.snapshot();
    expect(unfinished(await readOperations(database.url))).toHaveLength(1);

    const successor = await start();
    await expect.poll(async () => unfinished(await readOperations(database.url)), { timeout: 20_000, interval: 200 }).toEqual([]);
    return { successor, leftBehind };
  }

  async function lastOperation(kind: string) {
    return (await readOperations(database.url)).filter((operation) => operation.kind === kind).at(-1);
  }

  async function expectClean(): Promise<void> {
    expect(await consistency(aws, database.url)).toEqual([]);
  }

  it('builds and serves the real service in a child process', async () => {
    const child = await live();
    expect((await child.request('GET', '/health/ready')).status).toBe(200);
    await readyUser(helper, 'probe');
    const created = await child.request('POST', '/v1/users/probe/devices', { name: 'probe', csr: createTestCsr().csrPem });
    expect(created.status).toBe(201);
    expect((await child.request('DELETE', '/v1/users/probe')).status).toBe(204);
    expect(aws.isEmpty()).toBe(true);
  });

  it('register device, killed right after CreateThing returned: recovery deletes the thing and the policy', async () => {
    await readyUser(helper, 'reg-a');
    const { successor, leftBehind } = await killAndRecover('createThing', 'kill-after', (child) =>
      child.request('POST', '/v1/users/reg-a/devices', { name: 'lamp', csr: createTestCsr().csrPem }),
    );
    // The kill really came mid-way: AWS held the thing and its policy, with no row.
    expect(leftBehind.things.map((thing) => thing.thingName)).toEqual(['iotp_reg-a_lamp']);
    expect(leftBehind.policies).toContain('iotp_reg-a_lamp');

    expect(await lastOperation('register-device')).toMatchObject({ status: 'UNDONE', error: { code: 'RECOVERED' } });
    expect(aws.snapshot().things).toEqual([]);
    expect((await readRows(database.url)).devices).toEqual([]);
    await expectClean();
    // The name is free again.
    expect((await successor.request('POST', '/v1/users/reg-a/devices', { name: 'lamp', csr: createTestCsr().csrPem })).status).toBe(201);
    await expectClean();
    expect((await successor.request('DELETE', '/v1/users/reg-a')).status).toBe(204);
    expect(aws.isEmpty()).toBe(true);
  });

  it('register device, killed right before AttachThingPrincipal: recovery detaches, retires the certificate, deletes thing and policy', async () => {
    await readyUser(helper, 'reg-b');
    const { successor, leftBehind } = await killAndRecover('attachThingPrincipal', 'kill-before', (child) =>
      child.request('POST', '/v1/users/reg-b/devices', { name: 'lamp' }),
    );
    expect(leftBehind.certificates).toHaveLength(1);
    expect(leftBehind.policyAttachments.filter((attachment) => attachment.policyName === 'iotp_reg-b_lamp')).toHaveLength(1);

    expect(await lastOperation('register-device')).toMatchObject({ status: 'UNDONE', error: { code: 'RECOVERED' } });
    expect(aws.snapshot()).toMatchObject({ things: [], certificates: [], thingPrincipals: [] });
    await expectClean();
    expect((await successor.request('DELETE', '/v1/users/reg-b')).status).toBe(204);
    expect(aws.isEmpty()).toBe(true);
  });

  it('delete device, killed right after the first DeleteCertificate returned: recovery finishes the deletion', async () => {
    await readyUser(helper, 'del-a');
    const { thingName } = await registeredDevice(helper, 'del-a', 'lamp');
    const { successor, leftBehind } = await killAndRecover('deleteCertificate', 'kill-after', (child) =>
      child.request('DELETE', `/v1/devices/${thingName}`),
    );
    // Half-deleted: the certificate gone, the thing and the rows still there.
    expect(leftBehind.certificates).toEqual([]);
    expect(leftBehind.things.map((thing) => thing.thingName)).toEqual([thingName]);

    expect(await lastOperation('delete-device')).toMatchObject({ status: 'COMPLETED' });
    expect((await readRows(database.url)).devices).toEqual([]);
    expect(aws.snapshot()).toMatchObject({ things: [], certificates: [], thingPrincipals: [] });
    await expectClean();
    expect((await successor.request('DELETE', '/v1/users/del-a')).status).toBe(204);
    expect(aws.isEmpty()).toBe(true);
  });

  it('create user, killed right after AdminCreateUser returned: recovery deletes the pool user it never heard of', async () => {
    const { successor, leftBehind } = await killAndRecover('createUser', 'kill-after', (child) =>
      child.request('POST', '/v1/users', { username: 'cre-a', temporaryPassword: PASSWORD }),
    );
    expect(leftBehind.users.map((user) => user.username)).toEqual(['cre-a']);

    expect(await lastOperation('create-user')).toMatchObject({ status: 'UNDONE', error: { code: 'RECOVERED' } });
    expect(aws.userPool.user('cre-a')).toBeUndefined();
    expect((await readRows(database.url)).users).toEqual([]);
    await expectClean();
    expect((await successor.request('POST', '/v1/users', { username: 'cre-a', temporaryPassword: PASSWORD })).status).toBe(201);
    expect((await successor.request('DELETE', '/v1/users/cre-a')).status).toBe(204);
    expect(aws.isEmpty()).toBe(true);
  });

  it('create user, killed right before CreatePolicy: recovery deletes the pool user', async () => {
    await killAndRecover('createPolicy', 'kill-before', (child) =>
      child.request('POST', '/v1/users', { username: 'cre-b', temporaryPassword: PASSWORD }),
    );
    expect(await lastOperation('create-user')).toMatchObject({ status: 'UNDONE' });
    expect(aws.isEmpty()).toBe(true);
    await expectClean();
  });

  it('delete user, killed right after DeleteIdentities returned: recovery finishes the deletion', async () => {
    await readyUser(helper, 'del-b');
    expect((await helper.http.post('/v1/sessions').send({ username: 'del-b', password: PASSWORD })).status).toBe(200);
    await registeredDevice(helper, 'del-b', 'lamp');
    const { leftBehind } = await killAndRecover('deleteIdentity', 'kill-after', (child) => child.request('DELETE', '/v1/users/del-b'));
    expect(leftBehind.identities).toEqual([]);
    expect(leftBehind.users.map((user) => user.username)).toEqual(['del-b']);

    expect(await lastOperation('delete-user')).toMatchObject({ status: 'COMPLETED' });
    expect(aws.isEmpty()).toBe(true);
    expect(await readRows(database.url)).toEqual({ users: [], devices: [], certificates: [], sites: [], members: [] });
    await expectClean();
  });
});
