import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserDeviceCleanup } from '../../src/devices/user-device-cleanup.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { registeredDevice } from '../support/http/devices.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { apis } from '../support/aws-calls.js';
import { admin } from '../support/http/admin.js';
import { credentials, signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

describe('disabling and enabling users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('a disabled user loses MQTT access, sign-in, credentials and refresh', async () => {
    await readyUser(t, 'alice');
    const session = (await signIn(t, 'alice')).body;
    t.aws.resetCalls();

    const response = await admin(t).post('/v1/users/alice/disable');
    expect(response.status).toBe(204);
    expect(apis(t.aws)).toEqual(['DetachPolicy', 'AdminDisableUser', 'AdminUserGlobalSignOut']);
    expect(t.aws.calls[0]!.input).toEqual({ policyName: 'iotp_alice', target: session.identityId });
    expect(t.aws.snapshot().policyAttachments).toEqual([]);
    expect((await admin(t).get('/v1/users/alice')).body).toMatchObject({ status: 'DISABLED', identityId: session.identityId, policyAttached: false });

    const again = await signIn(t, 'alice');
    expect(again.status).toBe(403);
    expect(again.body.code).toBe('FORBIDDEN');
    // The ID token from before stays valid for up to an hour, but buys nothing here.
    expect((await credentials(t, session.tokens.idToken)).status).toBe(403);
    const refresh = await t.http.post('/v1/sessions/refresh').send({ username: 'alice', refreshToken: session.tokens.refreshToken });
    expect(refresh.status).toBe(401);
  });

  it('enabling lets the user back in, and the next sign-in attaches the policy once more, without a new identity', async () => {
    await readyUser(t, 'bob');
    const { identityId } = (await signIn(t, 'bob')).body;
    await admin(t).post('/v1/users/bob/disable');
    t.aws.resetCalls();

    expect((await admin(t).post('/v1/users/bob/enable')).status).toBe(204);
    expect(apis(t.aws)).toEqual(['AdminEnableUser']);
    expect((await admin(t).get('/v1/users/bob')).body).toMatchObject({ status: 'ACTIVE', policyAttached: false });

    t.aws.resetCalls();
    const first = await signIn(t, 'bob');
    expect(first.status).toBe(200);
    expect(first.body.identityId).toBe(identityId);
    expect(apis(t.aws)).toEqual(['AdminInitiateAuth', 'AttachPolicy', 'GetCredentialsForIdentity']);
    t.aws.resetCalls();
    await signIn(t, 'bob');
    expect(apis(t.aws)).toEqual(['AdminInitiateAuth']);
    expect(t.aws.snapshot().policyAttachments).toContainEqual({ policyName: 'iotp_bob', target: identityId });
  });

  it('disables a user who never signed in (nothing to detach), and repeating either is harmless', async () => {
    await readyUser(t, 'carol');
    for (let i = 0; i < 2; i++) expect((await admin(t).post('/v1/users/carol/disable')).status).toBe(204);
    expect(apis(t.aws)).not.toContain('DetachPolicy');
    for (let i = 0; i < 2; i++) expect((await admin(t).post('/v1/users/carol/enable')).status).toBe(204);
    expect((await signIn(t, 'carol')).status).toBe(200);
  });

  it('finishes a disable that failed midway when repeated', async () => {
    await readyUser(t, 'dave');
    await signIn(t, 'dave');
    t.aws.faults.inject({ api: 'AdminUserGlobalSignOut', error: 'unavailable' });
    expect((await admin(t).post('/v1/users/dave/disable')).status).toBe(503);
    // Already refused here and detached in IoT: the parts that matter most come first.
    expect((await signIn(t, 'dave')).status).toBe(403);
    expect(t.aws.snapshot().policyAttachments).toEqual(expect.not.arrayContaining([expect.objectContaining({ policyName: 'iotp_dave' })]));
    expect((await admin(t).post('/v1/users/dave/disable')).status).toBe(204);
  });

  it('answers 404 for unknown users', async () => {
    expect((await admin(t).post('/v1/users/nobody/disable')).status).toBe(404);
    expect((await admin(t).post('/v1/users/nobody/enable')).status).toBe(404);
    expect((await admin(t).delete('/v1/users/nobody')).status).toBe(404);
  });
});

describe('deleting users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('leaves nothing behind in AWS or the database', async () => {
    await readyUser(t, 'erin');
    await signIn(t, 'erin');
    t.aws.resetCalls();

    expect((await admin(t).delete('/v1/users/erin')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
    expect(apis(t.aws)).toEqual([
      // Every target, all pages, then each detached (the device deletion's paging).
      'ListTargetsForPolicy',
      'DetachPolicy',
      'DeleteIdentities',
      'AdminDeleteUser',
      // The policy last, once the user is gone for the API (AWS may refuse it for a while after the detach).
      'ListPolicyVersions',
      'DeletePolicy',
    ]);
    expect((await admin(t).get('/v1/users/erin')).status).toBe(404);
    expect((await admin(t).get('/v1/users')).body.items).toEqual([]);
  });

  it('deletes a user who never signed in', async () => {
    await readyUser(t, 'fay');
    expect((await admin(t).delete('/v1/users/fay')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it("removes the user's devices and every policy version", async () => {
    await readyUser(t, 'gus');
    await signIn(t, 'gus');
    await registeredDevice(t, 'gus', 'scanner1');
    await registeredDevice(t, 'gus', 'scanner2');
    t.aws.iot.addPolicyVersion('iotp_gus', '{"Version":"2012-10-17","Statement":[]}');
    expect((await admin(t).delete('/v1/users/gus')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });

  it.each([
    ['DeleteIdentities', 'throttle'],
    ['AdminDeleteUser', 'unavailable'],
  ] as const)('finishes a delete that failed at %s when repeated', async (api, error) => {
    await readyUser(t, 'hal');
    await signIn(t, 'hal');
    t.aws.faults.inject({ api, error });

    expect((await admin(t).delete('/v1/users/hal')).status).toBe(503);
    expect(t.aws.isEmpty()).toBe(false);
    // Half-deleted is locked out: no sign-in re-attaches anything meanwhile.
    expect((await admin(t).get('/v1/users/hal')).body.status).toBe('DISABLED');
    expect((await signIn(t, 'hal')).body).toMatchObject({ code: 'CONFLICT', details: { reason: 'USER_BEING_DELETED' } });

    expect((await admin(t).delete('/v1/users/hal')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
    expect((await admin(t).get('/v1/users/hal')).status).toBe(404);
  });

  it('answers 204 when only DeletePolicy fails, the user being gone, and recovery deletes the policy', async () => {
    await readyUser(t, 'ivy');
    await signIn(t, 'ivy');
    t.aws.faults.inject({ api: 'DeletePolicy', error: 'unavailable' });

    expect((await admin(t).delete('/v1/users/ivy')).status).toBe(204);
    expect((await admin(t).get('/v1/users/ivy')).status).toBe(404);
    expect(t.aws.snapshot()).toMatchObject({ users: [], identities: [], policyAttachments: [], policies: ['iotp_ivy'] });

    const prisma = t.app.get(PrismaService);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'user:ivy', kind: 'delete-user' } });
    expect(operation.status).toBe('RUNNING');
    await prisma.operation.update({ where: { id: operation.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    await t.app.get(RecoveryService).recoverAll();
    expect((await prisma.operation.findUniqueOrThrow({ where: { id: operation.id } })).status).toBe('COMPLETED');
    expect(t.aws.isEmpty()).toBe(true);
  });

  it('counts what is already gone in AWS as deleted', async () => {
    await readyUser(t, 'ida');
    await signIn(t, 'ida');
    await t.aws.userPool.deleteUser('ida');
    expect((await admin(t).delete('/v1/users/ida')).status).toBe(204);
    expect(t.aws.isEmpty()).toBe(true);
  });
});

describe('deleting a user: devices first', () => {
  let t: TestApp;
  const cleanups: Array<{ username: string; callsBefore: string[] }> = [];
  beforeAll(async () => {
    t = await startTestApp({
      override: (builder) =>
        builder.overrideProvider(UserDeviceCleanup).useValue({
          deleteAllOfUser: async (username: string) => void cleanups.push({ username, callsBefore: apis(t.aws) }),
        }),
    });
  });
  afterAll(async () => t?.close());

  it('asks the devices feature before touching anything of the user in AWS', async () => {
    await readyUser(t, 'jo');
    t.aws.resetCalls();
    expect((await admin(t).delete('/v1/users/jo')).status).toBe(204);
    expect(cleanups).toEqual([{ username: 'jo', callsBefore: [] }]);
  });
});
