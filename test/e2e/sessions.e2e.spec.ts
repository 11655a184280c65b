import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { dumpDatabase, query } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { apis } from '../support/aws-calls.js';
import { admin } from '../support/http/admin.js';
import { credentials, idTokenOf, signIn } from '../support/http/sessions.js';
import { createUser, PASSWORD, readyUser } from '../support/http/users.js';
import { awsMqttUrls } from '../support/mqtt-urls.js';

describe('sessions over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('walks a new user from a temporary password through NEW_PASSWORD_REQUIRED to credentials', async () => {
    await createUser(t, { username: 'alice', temporaryPassword: 'Temporary-Pass-1' });

    const challenge = await signIn(t, 'alice', 'Temporary-Pass-1');
    expect(challenge.status).toBe(200);
    expect(challenge.body).toEqual({ challenge: 'NEW_PASSWORD_REQUIRED', session: expect.any(String) });

    const tooShort = await t.http.post('/v1/sessions/challenge').send({ username: 'alice', session: challenge.body.session, newPassword: 'short' });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Password does not conform to policy: Password not long enough' });

    const done = await t.http.post('/v1/sessions/challenge').send({ username: 'alice', session: challenge.body.session, newPassword: PASSWORD });
    expect(done.status).toBe(200);
    expect(refreshLead(done.body.credentials)).toBe(5 * 60_000);
    expect(done.body).toEqual({
      tokens: { idToken: expect.any(String), accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 3600 },
      identityId: expect.stringMatching(/^eu-west-1:[0-9a-f-]{36}$/),
      credentials: {
        accessKeyId: expect.stringMatching(/^ASIA/),
        secretAccessKey: expect.any(String),
        sessionToken: expect.any(String),
        expiration: expect.any(String),
        refreshAfter: expect.any(String),
      },
      mqtt: { ...awsMqttUrls(t.aws.iot.endpoint), region: 'eu-west-1', clientId: 'alice', topicPrefix: 'alice/' },
    });
    expect(t.aws.snapshot().policyAttachments).toEqual([{ policyName: 'iotp_alice', target: done.body.identityId }]);
    expect((await admin(t).get('/v1/users/alice')).body).toMatchObject({ identityId: done.body.identityId, policyAttached: true });

    // The new password is the password now.
    expect((await signIn(t, 'alice')).status).toBe(200);
  });

  it('refuses an invalid challenge session', async () => {
    await createUser(t, { username: 'bob', temporaryPassword: 'Temporary-Pass-1' });
    const response = await t.http.post('/v1/sessions/challenge').send({ username: 'bob', session: 'not-a-session', newPassword: PASSWORD });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('links the identity and attaches the policy at the first sign-in only', async () => {
    await readyUser(t, 'carol');
    t.aws.resetCalls();
    const identities = new Set<string>();
    for (let i = 0; i < 3; i++) identities.add((await signIn(t, 'carol')).body.identityId);
    expect(identities.size).toBe(1);
    expect(t.aws.countCalls('GetId')).toBe(1);
    expect(t.aws.countCalls('AttachPolicy')).toBe(1);
    expect(t.aws.calls.find((call) => call.api === 'AttachPolicy')!.input).toEqual({ policyName: 'iotp_carol', target: [...identities][0] });
  });

  it('signs a returning user in with AdminInitiateAuth alone while its credentials are cached', async () => {
    await readyUser(t, 'dave');
    await signIn(t, 'dave');
    t.aws.resetCalls();
    const response = await signIn(t, 'dave');
    expect(response.status).toBe(200);
    // Without the cache (or once it expired): AdminInitiateAuth and GetCredentialsForIdentity, see credential-cache.e2e.spec.ts.
    expect(apis(t.aws)).toEqual(['AdminInitiateAuth']);
  });

  it('answers an unknown user and a wrong password identically', async () => {
    await readyUser(t, 'erin');
    const wrong = await signIn(t, 'erin', 'Wrong-Password-1');
    const unknown = await signIn(t, 'nobody-here', 'Wrong-Password-1');
    expect(wrong.status).toBe(401);
    const { requestId: a, ...wrongBody } = wrong.body;
    const { requestId: b, ...unknownBody } = unknown.body;
    expect(a).not.toBe(b);
    expect(unknownBody).toEqual(wrongBody);
    expect(wrongBody).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Incorrect username or password' });
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.headers['retry-after']).toBe(wrong.headers['retry-after']);
  });

  it('refuses credentials to a Cognito user this service did not provision', async () => {
    t.aws.userPool.seedUser({ username: 'frank', password: PASSWORD });
    const response = await signIn(t, 'frank');
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'NOT_PROVISIONED' } });
    expect((await credentials(t, idTokenOf(t.aws, 'frank'))).status).toBe(403);
    expect(t.aws.countCalls('GetId')).toBe(0);
    expect(t.aws.countCalls('GetCredentialsForIdentity')).toBe(0);
  });

  it('refuses a right password when the row says disabled, and counts no failure for it', async () => {
    await readyUser(t, 'hana');
    expect((await signIn(t, 'hana')).status).toBe(200);
    // A disable that stopped after its first step: the row says disabled, Cognito does not yet.
    await query(t, `UPDATE users SET status = 'DISABLED' WHERE username = 'hana'`);
    const refused = await signIn(t, 'hana');
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ reason: 'USER_DISABLED' });
    expect(await query(t, `SELECT subject FROM sign_in_failures WHERE subject = 'user:hana'`)).toEqual([]);
  });

  it('refreshes tokens and credentials', async () => {
    await readyUser(t, 'gina');
    const session = (await signIn(t, 'gina')).body;
    t.aws.resetCalls();
    const response = await t.http.post('/v1/sessions/refresh').send({ username: 'gina', refreshToken: session.tokens.refreshToken });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      identityId: session.identityId,
      mqtt: { clientId: 'gina' },
      credentials: { accessKeyId: expect.any(String) },
    });
    expect(response.body.tokens).toEqual({ idToken: expect.any(String), accessToken: expect.any(String), expiresIn: 3600 });
    expect(response.body.tokens.idToken).not.toBe(session.tokens.idToken);
    expect(refreshLead(response.body.credentials)).toBe(5 * 60_000);
    // The credentials of the sign-in are still cached.
    expect(apis(t.aws)).toEqual(['AdminInitiateAuth']);
    expect((await t.http.post('/v1/sessions/refresh').send({ username: 'gina', refreshToken: 'forged' })).status).toBe(401);
  });

  it('counts an attachment AWS reports as already existing as done', async () => {
    await readyUser(t, 'hank');
    const exists = new DomainError('CONFLICT', 'The AWS resource already exists', {
      awsError: 'ResourceAlreadyExistsException',
      api: 'AttachPolicy',
    });
    t.aws.faults.inject({ api: 'AttachPolicy', error: exists });
    expect((await signIn(t, 'hank')).status).toBe(200);
    expect((await admin(t).get('/v1/users/hank')).body.policyAttached).toBe(true);
  });

  it('completes a first use that failed midway at the next sign-in', async () => {
    await readyUser(t, 'iris');
    t.aws.faults.inject({ api: 'AttachPolicy', error: 'throttle' });
    const failed = await signIn(t, 'iris');
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('1');
    t.aws.resetCalls();
    const retried = await signIn(t, 'iris');
    expect(retried.status).toBe(200);
    // The identity id was kept: no second GetId.
    expect(apis(t.aws)).toEqual(['AdminInitiateAuth', 'AttachPolicy', 'GetCredentialsForIdentity']);
  });

  it('keeps every password, token and credential out of the database (operations record ids only)', async () => {
    const dump = await dumpDatabase(t);
    expect(dump).toContain('iotp_alice');
    const stored = [...t.aws.runtime.secrets].filter((secret) => secret.length >= 8 && dump.includes(secret));
    expect(stored).toEqual([]);
  });
});

describe('credentials for apps that sign in with Cognito themselves', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('links at first use, then costs no AWS call while the credentials are cached (the MQTT endpoint is asked for once per process)', async () => {
    await readyUser(t, 'kate');
    const token = idTokenOf(t.aws, 'kate');
    t.aws.resetCalls();

    const first = await credentials(t, token);
    expect(first.status).toBe(200);
    expect(refreshLead(first.body.credentials)).toBe(5 * 60_000);
    expect(first.body).toEqual({
      identityId: expect.any(String),
      credentials: {
        accessKeyId: expect.any(String),
        secretAccessKey: expect.any(String),
        sessionToken: expect.any(String),
        expiration: expect.any(String),
        refreshAfter: expect.any(String),
      },
      mqtt: { ...awsMqttUrls(t.aws.iot.endpoint), region: 'eu-west-1', clientId: 'kate', topicPrefix: 'kate/' },
    });
    expect(apis(t.aws)).toEqual(['DescribeEndpoint', 'GetId', 'AttachPolicy', 'GetCredentialsForIdentity']);

    t.aws.resetCalls();
    const second = await credentials(t, token);
    expect(second.body.identityId).toBe(first.body.identityId);
    expect(apis(t.aws)).toEqual([]);
  });

  it('refuses a token of an earlier user of the same name', async () => {
    await readyUser(t, 'liam');
    const before = idTokenOf(t.aws, 'liam');
    await admin(t).delete('/v1/users/liam');
    await readyUser(t, 'liam');
    t.aws.resetCalls();

    const response = await credentials(t, before);
    expect(response.status).toBe(403);
    expect(response.body.details).toEqual({ reason: 'NOT_PROVISIONED' });
    expect(t.aws.calls).toEqual([]);
    expect((await credentials(t, idTokenOf(t.aws, 'liam'))).status).toBe(200);
  });

  it('refuses a disabled user even with a valid token', async () => {
    await readyUser(t, 'mia');
    const token = idTokenOf(t.aws, 'mia');
    await admin(t).post('/v1/users/mia/disable');
    const response = await credentials(t, token);
    expect(response.status).toBe(403);
    expect(response.body.details).toEqual({ reason: 'USER_DISABLED' });
  });
});

/** How long before expiration an answer tells the app to refresh (credentials of an hour: 5 minutes). */
function refreshLead(credentials: { expiration: string; refreshAfter: string }): number {
  return Date.parse(credentials.expiration) - Date.parse(credentials.refreshAfter);
}
