import { createPublicKey, verify } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuthOutcome } from '../../../src/aws/user-pool.port.js';
import { LocalUserPool } from '../../../src/local/local-user-pool.js';
import { TestTokenIssuer } from '../../support/token-issuer.js';

const ISSUER = 'http://127.0.0.1:9999/eu-west-1_FakePool1';

/** Minimal RS256 check against the issuer's JWKS, standing in for the service's verifier. */
function verifyJwt(issuer: TestTokenIssuer, token: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split('.');
  const { kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string };
  const jwk = issuer.jwks().keys.find((key) => key.kid === kid);
  if (!jwk) return undefined;
  const ok = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(signature!, 'base64url'),
  );
  return ok ? (JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>) : undefined;
}

function tokensOf(outcome: AuthOutcome) {
  if (outcome.kind !== 'tokens') throw new Error(`expected tokens, got ${outcome.kind}`);
  return outcome.tokens;
}

describe('LocalUserPool', () => {
  let issuer: TestTokenIssuer;
  let pool: LocalUserPool;
  beforeEach(() => {
    issuer = new TestTokenIssuer({ issuer: ISSUER, clientId: 'client123' });
    pool = new LocalUserPool({ tokens: issuer });
  });

  it('walks a new user through NEW_PASSWORD_REQUIRED to signed tokens', async () => {
    const created = await pool.createUser({ username: 'alice', email: 'a@example.com', temporaryPassword: 'Temp1234!', sendInvite: false });
    expect(created.status).toBe('FORCE_CHANGE_PASSWORD');
    pool.addToGroup('alice', 'admins');

    const challenge = await pool.signIn('alice', 'Temp1234!');
    expect(challenge).toMatchObject({ kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED' });
    const session = challenge.kind === 'challenge' ? challenge.session : '';
    await expect(pool.completeNewPassword('alice', 'wrong-session', 'NewPassw0rd!')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(pool.completeNewPassword('alice', session, 'short')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Password does not conform to policy: Password not long enough',
    });
    const tokens = tokensOf(await pool.completeNewPassword('alice', session, 'NewPassw0rd!'));
    expect(pool.user('alice')?.status).toBe('CONFIRMED');

    const id = verifyJwt(issuer, tokens.idToken);
    expect(id).toMatchObject({
      sub: created.sub,
      iss: ISSUER,
      aud: 'client123',
      token_use: 'id',
      'cognito:username': 'alice',
      'cognito:groups': ['admins'],
    });
    const access = verifyJwt(issuer, tokens.accessToken);
    expect(access).toMatchObject({ sub: created.sub, client_id: 'client123', token_use: 'access', username: 'alice' });
    expect(access).not.toHaveProperty('aud');
    expect(tokensOf(await pool.signIn('alice', 'NewPassw0rd!')).refreshToken).toBeDefined();
  });

  it('refuses duplicates, wrong passwords, unknown and disabled users as Cognito does', async () => {
    pool.seedUser({ username: 'bob', password: 'Passw0rd!' });
    await expect(pool.createUser({ username: 'bob', sendInvite: false })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(pool.signIn('bob', 'nope-nope')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(pool.signIn('nobody', 'nope-nope')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await pool.disableUser('bob');
    await expect(pool.signIn('bob', 'Passw0rd!')).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'USER_DISABLED' } });
    await pool.enableUser('bob');
    await expect(pool.signIn('bob', 'Passw0rd!')).resolves.toMatchObject({ kind: 'tokens' });
    await expect(pool.deleteUser('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refreshes without a new refresh token until a global sign-out', async () => {
    pool.seedUser({ username: 'carol', password: 'Passw0rd!' });
    const { refreshToken } = tokensOf(await pool.signIn('carol', 'Passw0rd!'));
    const refreshed = tokensOf(await pool.refresh('carol', refreshToken!));
    expect(refreshed.refreshToken).toBeUndefined();
    await pool.signOutEverywhere('carol');
    await expect(pool.refresh('carol', refreshToken!)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('mints refusable tokens for other engineers’ negative tests', () => {
    const claims = { sub: 's1', username: 'dave' };
    expect(verifyJwt(issuer, issuer.idToken(claims))).toBeDefined();
    expect(verifyJwt(issuer, issuer.tamper(issuer.idToken(claims)))).toBeUndefined();
    expect(verifyJwt(issuer, issuer.idToken(claims, { kid: 'unknown-kid' }))).toBeUndefined();
    const expired = verifyJwt(issuer, issuer.idToken(claims, { expired: true }))!;
    expect(expired.exp as number).toBeLessThan(Date.now() / 1000);
    expect(verifyJwt(issuer, issuer.idToken(claims, { issuer: 'http://evil/pool' }))).toMatchObject({ iss: 'http://evil/pool' });
    expect(verifyJwt(issuer, issuer.idToken(claims, { audience: 'other' }))).toMatchObject({ aud: 'other' });
    expect(issuer.idToken(claims, { unsigned: true }).endsWith('.')).toBe(true);
    expect(issuer.jwks().keys[0]).toMatchObject({ kid: issuer.kid, alg: 'RS256', use: 'sig', kty: 'RSA' });
  });

  it('keeps the custom:iotp_user_id marker, lists users page by page, and refuses the marker when the schema lacks it', async () => {
    const userId = '0b3c2a4e-6f1d-4a52-9a0e-5d1c7e2b9f10';
    await pool.createUser({ username: 'alice', sendInvite: false, userId });
    await pool.createUser({ username: 'bob', sendInvite: false });
    pool.seedUser({ username: 'carol', password: 'Passw0rd!' });
    await expect(pool.findUser('alice')).resolves.toMatchObject({ username: 'alice', userId, enabled: true, status: 'FORCE_CHANGE_PASSWORD' });
    expect((await pool.findUser('bob'))?.userId).toBeUndefined();
    await expect(pool.findUser('ghost')).resolves.toBeUndefined();
    const first = await pool.listUsers();
    expect(first.items.map((user) => user.username)).toEqual(['alice', 'bob']);
    const second = await pool.listUsers(first.nextToken);
    expect(second).toMatchObject({ items: [{ username: 'carol' }] });
    expect(second.nextToken).toBeUndefined();
    const bare = new LocalUserPool({ tokens: issuer, userIdAttribute: false });
    await expect(bare.createUser({ username: 'dave', sendInvite: false, userId })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
