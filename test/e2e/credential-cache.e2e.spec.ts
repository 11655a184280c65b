import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredentialCache } from '../../src/credential-cache/credential-cache.js';
import { UsersRepository } from '../../src/users/users.repository.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { apis } from '../support/aws-calls.js';
import { admin } from '../support/http/admin.js';
import { credentials, idTokenOf, signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';
import type { TestTokenIssuer } from '../support/token-issuer.js';

describe('credential cache over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('vends for a linked user with one row read and one AWS call on a miss, and with neither on a hit', async () => {
    await readyUser(t, 'alice');
    const token = idTokenOf(t.aws, 'alice');
    const first = await credentials(t, token); // first use: links the identity
    expect(first.status).toBe(200);
    t.app.get(CredentialCache).forget('alice');
    t.aws.resetCalls();
    const rowReads = vi.spyOn(t.app.get(UsersRepository), 'findForSession');
    try {
      const miss = await credentials(t, token);
      expect(miss.status).toBe(200);
      expect(apis(t.aws)).toEqual(['GetCredentialsForIdentity']);
      expect(rowReads).toHaveBeenCalledTimes(1);
      t.aws.resetCalls();
      rowReads.mockClear();

      const hit = await credentials(t, token);
      expect(hit.status).toBe(200);
      expect(hit.body).toEqual(miss.body);
      expect(apis(t.aws)).toEqual([]);
      expect(rowReads).not.toHaveBeenCalled();
    } finally {
      rowReads.mockRestore();
    }
  });

  it('shares the cache between password sign-in and bearer vends', async () => {
    await readyUser(t, 'bob');
    const session = (await signIn(t, 'bob')).body;
    t.aws.resetCalls();
    const vended = await credentials(t, session.tokens.idToken);
    expect(vended.body.credentials).toEqual(session.credentials);
    expect(apis(t.aws)).toEqual([]);
  });

  it('serves no stale credentials across a disable and enable: the old token is refused, the next vend attaches the policy again and gets new ones', async () => {
    await readyUser(t, 'carol');
    const token = idTokenOf(t.aws, 'carol');
    const before = (await credentials(t, token)).body;

    expect((await admin(t).post('/v1/users/carol/disable')).status).toBe(204);
    const whileDisabled = await credentials(t, token);
    expect(whileDisabled.status).toBe(403);
    expect(whileDisabled.body.details).toMatchObject({ reason: 'USER_DISABLED' });

    expect((await admin(t).post('/v1/users/carol/enable')).status).toBe(204);
    // Disabling signed the user out everywhere. The service refuses a token issued in an earlier second than the
    // disable before asking AWS (iat has whole seconds); one of the same second reaches the identity pool, whose
    // server-side token check refuses it after the policy is attached again.
    t.aws.resetCalls();
    const oldToken = await credentials(t, token);
    expect(oldToken.status).toBe(401);
    expect(oldToken.body.details).toMatchObject({ reason: 'SIGN_IN_AGAIN' });
    const refusal = apis(t.aws);
    expect([[], ['AttachPolicy', 'GetCredentialsForIdentity']]).toContainEqual(refusal);
    t.aws.resetCalls();
    const after = await credentials(t, idTokenOf(t.aws, 'carol'));
    expect(after.status).toBe(200);
    expect(after.body.identityId).toBe(before.identityId);
    expect(after.body.credentials.accessKeyId).not.toBe(before.credentials.accessKeyId);
    expect(apis(t.aws)).toEqual(refusal.length ? ['GetCredentialsForIdentity'] : ['AttachPolicy', 'GetCredentialsForIdentity']);
    expect(t.aws.snapshot().policyAttachments).toContainEqual({ policyName: 'iotp_carol', target: before.identityId });
  });

  it("forgets a deleted user: a new user of the same name is not served the old one's credentials", async () => {
    await readyUser(t, 'dan');
    const old = (await credentials(t, idTokenOf(t.aws, 'dan'))).body;
    expect((await admin(t).delete('/v1/users/dan')).status).toBe(204);
    await readyUser(t, 'dan');
    t.aws.resetCalls();
    const renewed = await credentials(t, idTokenOf(t.aws, 'dan'));
    expect(renewed.status).toBe(200);
    expect(renewed.body.identityId).not.toBe(old.identityId);
    expect(apis(t.aws)).toEqual(['GetId', 'AttachPolicy', 'GetCredentialsForIdentity']);
  });

  it('refuses an ID token issued before a disable, after enable and a fresh sign-in filled the cache, and on a cold cache, before any AWS call', async () => {
    await readyUser(t, 'fay');
    const user = t.aws.userPool.user('fay')!;
    // Issued a minute ago, as the token of a lost phone is; the verifier alone still accepts it.
    const oldToken = (t.aws.tokens as TestTokenIssuer).idToken(
      { sub: user.sub, username: 'fay', groups: [] },
      { claims: { iat: Math.floor(Date.now() / 1000) - 60 } },
    );
    expect((await credentials(t, oldToken)).status).toBe(200);

    expect((await admin(t).post('/v1/users/fay/disable')).status).toBe(204);
    expect((await admin(t).post('/v1/users/fay/enable')).status).toBe(204);
    const fresh = await signIn(t, 'fay');
    expect(fresh.status).toBe(200);

    t.aws.resetCalls();
    const refused = await credentials(t, oldToken);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'SIGN_IN_AGAIN' } });
    expect(JSON.stringify(refused.body)).not.toContain(fresh.body.credentials.accessKeyId);
    expect(apis(t.aws)).toEqual([]);

    // The new token gets the very credentials the sign-in cached.
    const current = await credentials(t, fresh.body.tokens.idToken);
    expect(current.status).toBe(200);
    expect(current.body.credentials).toEqual(fresh.body.credentials);

    // Cold cache (another replica, or a restart): the row's timestamp refuses it before GetCredentialsForIdentity.
    t.app.get(CredentialCache).forget('fay');
    t.aws.resetCalls();
    const cold = await credentials(t, oldToken);
    expect(cold.status).toBe(401);
    expect(cold.body.details).toMatchObject({ reason: 'SIGN_IN_AGAIN' });
    expect(apis(t.aws)).toEqual([]);
  });
});

describe('credential cache switched off (CREDENTIAL_CACHE_ENABLED=false)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { CREDENTIAL_CACHE_ENABLED: 'false' } });
  });
  afterAll(async () => t?.close());

  it('vends new credentials on every request: one GetCredentialsForIdentity per bearer vend and per returning sign-in', async () => {
    await readyUser(t, 'erin');
    await signIn(t, 'erin');
    t.aws.resetCalls();
    expect((await signIn(t, 'erin')).status).toBe(200);
    expect(apis(t.aws)).toEqual(['AdminInitiateAuth', 'GetCredentialsForIdentity']);
    t.aws.resetCalls();
    const token = idTokenOf(t.aws, 'erin');
    const [first, second] = [await credentials(t, token), await credentials(t, token)];
    expect(first.body.credentials.accessKeyId).not.toBe(second.body.credentials.accessKeyId);
    expect(apis(t.aws)).toEqual(['GetCredentialsForIdentity', 'GetCredentialsForIdentity']);
  });
});
