import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { iotArn } from '../../src/policy/documents.js';
import { evaluate, type IotAction } from '../../src/policy/evaluator.js';
import { NAME_RULE } from '../../src/policy/names.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { apis } from '../support/aws-calls.js';
import { admin } from '../support/http/admin.js';
import { createUser, PASSWORD } from '../support/http/users.js';

const ARN = 'arn:aws:iot:eu-west-1:123456789012';

describe('users over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('creates the Cognito user without an invitation, then its IoT policy, then the record', async () => {
    const response = await createUser(t, { username: 'alice', email: 'alice@example.com', temporaryPassword: PASSWORD });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      username: 'alice',
      email: 'alice@example.com',
      status: 'ACTIVE',
      identityId: null,
      policyName: 'iotp_alice',
      policyAttached: false,
      createdAt: expect.any(String),
    });
    expect(apis(t.aws)).toEqual(['AdminGetUser', 'AdminCreateUser', 'CreatePolicy']);
    expect(t.aws.calls[1]!.input).toMatchObject({ Username: 'alice', email: 'alice@example.com', sendInvite: false });
    expect(t.aws.userPool.user('alice')).toMatchObject({ status: 'FORCE_CHANGE_PASSWORD', enabled: true, email: 'alice@example.com' });
  });

  it('stores exactly the least-privilege policy document', async () => {
    await createUser(t, { username: 'bob-2', temporaryPassword: PASSWORD });
    const stored = await t.aws.iot.getPolicyDocument('iotp_bob-2');
    expect(stored).toBe(
      '{"Version":"2012-10-17","Statement":[' +
        `{"Effect":"Allow","Action":"iot:Connect","Resource":["${ARN}:client/bob-2","${ARN}:client/bob-2.*"]},` +
        `{"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"${ARN}:topic/bob-2/*"},` +
        `{"Effect":"Allow","Action":"iot:Subscribe","Resource":"${ARN}:topicfilter/bob-2/*"}]}`,
    );
  });

  it('sends the invitation when asked, and only with an email to send it to', async () => {
    const invited = await createUser(t, { username: 'carol', email: 'carol@example.com', sendInvite: true });
    expect(invited.status).toBe(201);
    expect(t.aws.calls.find((call) => call.api === 'AdminCreateUser')!.input).toMatchObject({ Username: 'carol', sendInvite: true });

    t.aws.resetCalls();
    const noEmail = await createUser(t, { username: 'dave', sendInvite: true });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'sendInvite' } });
    expect(t.aws.calls).toHaveLength(0);
  });

  describe('name safety', () => {
    it.each([
      ['uppercase', 'Alice'],
      ['the composition separator', 'a_b'],
      ['the client id suffix separator', 'alice.tablet'],
      ['a policy wildcard', 'al*'],
      ['a single-character wildcard', 'al?ce'],
      ['a topic level', 'alice/x'],
      ['MQTT wildcards', 'alice+'],
      ['a multi-level wildcard', 'alice#'],
      ['an ARN separator', 'alice:x'],
      ['whitespace', 'ali ce'],
      ['non-ASCII', 'ålice'],
      ['a leading hyphen', '-alice'],
      ['nothing', ''],
      ['49 characters', 'a'.repeat(49)],
    ])('refuses %s (%j) with the rule, before AWS is touched', async (_, username) => {
      const response = await createUser(t, { username, temporaryPassword: PASSWORD });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.message).toContain(NAME_RULE);
      expect(response.body.details.fields).toEqual([{ field: 'username', problems: [`username must be ${NAME_RULE}`] }]);
      expect(t.aws.calls).toHaveLength(0);
    });

    it('accepts 48 characters, digits and inner hyphens', async () => {
      for (const username of ['7-eleven', 'z'.repeat(48)]) {
        expect((await createUser(t, { username, temporaryPassword: PASSWORD })).status).toBe(201);
      }
    });

    it('refuses unsafe names in paths too', async () => {
      const response = await admin(t).get('/v1/users/Alice');
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'username', rule: NAME_RULE } });
    });

    it('keeps names that share a prefix apart: neither stored policy reaches the other user', async () => {
      await createUser(t, { username: 'eve', temporaryPassword: PASSWORD });
      await createUser(t, { username: 'eve-x', temporaryPassword: PASSWORD });
      const scope = { region: 'eu-west-1', accountId: '123456789012' };
      const policyOf = async (username: string) => ({
        policyName: `iotp_${username}`,
        document: await t.aws.iot.getPolicyDocument(`iotp_${username}`),
      });
      const allowed = async (owner: string, action: IotAction, kind: 'client' | 'topic' | 'topicfilter', resource: string, clientId = owner) =>
        evaluate([await policyOf(owner)], { action, resource: iotArn(scope, kind, resource), context: { clientId } }).allowed;

      expect(await allowed('eve', 'iot:Connect', 'client', 'eve')).toBe(true);
      expect(await allowed('eve', 'iot:Connect', 'client', 'eve.tablet', 'eve.tablet')).toBe(true);
      expect(await allowed('eve', 'iot:Connect', 'client', 'eve-x', 'eve-x')).toBe(false);
      expect(await allowed('eve', 'iot:Publish', 'topic', 'eve-x/data')).toBe(false);
      expect(await allowed('eve', 'iot:Subscribe', 'topicfilter', 'eve-x/#')).toBe(false);
      expect(await allowed('eve-x', 'iot:Publish', 'topic', 'eve/data')).toBe(false);
      expect(await allowed('eve-x', 'iot:Connect', 'client', 'eve', 'eve')).toBe(false);
      // `eve_x` would have been the thing and policy name of eve's device "x": refused as a username.
      expect((await createUser(t, { username: 'eve_x', temporaryPassword: PASSWORD })).status).toBe(400);
    });
  });

  describe('duplicates', () => {
    it('answers 409 when the record exists, without asking Cognito', async () => {
      await createUser(t, { username: 'frank', temporaryPassword: PASSWORD });
      t.aws.resetCalls();
      const again = await createUser(t, { username: 'frank', temporaryPassword: PASSWORD });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CONFLICT');
      expect(t.aws.calls).toHaveLength(0);
    });

    it('answers 409 when only Cognito has the user, and leaves that user alone', async () => {
      t.aws.userPool.seedUser({ username: 'grace', password: 'Console-Made-1' });
      const response = await createUser(t, { username: 'grace', temporaryPassword: PASSWORD });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'CONFLICT', details: { awsError: 'UsernameExistsException' } });
      expect(t.aws.userPool.user('grace')).toMatchObject({ status: 'CONFIRMED', enabled: true });
      expect(t.aws.snapshot().policies).not.toContain('iotp_grace');
      expect((await admin(t).get('/v1/users/grace')).status).toBe(404);
    });
  });

  it("passes Cognito's password policy reason on, leaving nothing behind", async () => {
    const response = await createUser(t, { username: 'heidi', temporaryPassword: 'short' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Password does not conform to policy: Password not long enough' });
    expect(t.aws.userPool.user('heidi')).toBeUndefined();
    expect((await admin(t).get('/v1/users/heidi')).status).toBe(404);
  });

  it('undoes the Cognito user when the policy cannot be created', async () => {
    t.aws.faults.inject({ api: 'CreatePolicy', error: 'unavailable' });
    const response = await createUser(t, { username: 'ivan', temporaryPassword: PASSWORD });
    expect(response.status).toBe(503);
    expect(apis(t.aws)).toEqual(['AdminGetUser', 'AdminCreateUser', 'CreatePolicy', 'DeletePolicy', 'AdminGetUser', 'AdminDeleteUser']);
    expect(t.aws.userPool.user('ivan')).toBeUndefined();
    expect((await admin(t).get('/v1/users/ivan')).status).toBe(404);
    // The name is free again.
    expect((await createUser(t, { username: 'ivan', temporaryPassword: PASSWORD })).status).toBe(201);
  });

  it('refuses fields it does not know', async () => {
    const response = await createUser(t, { username: 'judy', temporaryPassword: PASSWORD, admin: true });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('reading users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    for (const username of ['kim', 'lee', 'max']) await createUser(t, { username, temporaryPassword: PASSWORD });
  });
  afterAll(async () => t?.close());

  it('lists in username order, a page at a time', async () => {
    const first = await admin(t).get('/v1/users?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((user: { username: string }) => user.username)).toEqual(['kim', 'lee']);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await admin(t).get(`/v1/users?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ username: 'max', deviceCount: 0 })], nextCursor: null });
  });

  it('shows one user with identity, policy state and device count', async () => {
    const response = await admin(t).get('/v1/users/lee');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      username: 'lee',
      email: null,
      status: 'ACTIVE',
      identityId: null,
      policyName: 'iotp_lee',
      policyAttached: false,
      policyAttachedAt: null,
      deviceCount: 0,
      createdAt: expect.any(String),
    });
  });

  it('answers 404 for an unknown user and 400 for a cursor it did not issue', async () => {
    expect((await admin(t).get('/v1/users/nobody')).body.code).toBe('NOT_FOUND');
    expect((await admin(t).get('/v1/users?cursor=bogus')).status).toBe(400);
  });
});
