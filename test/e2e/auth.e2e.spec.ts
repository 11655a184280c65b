import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTokenIssuer } from '../support/token-issuer.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { credentials, idTokenOf } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

describe('ID token verification on GET /v1/sessions/credentials', () => {
  let t: TestApp;
  let tokens: TestTokenIssuer;
  const claims: { sub: string; username: string } = { sub: randomUUID(), username: 'alice' };
  beforeAll(async () => {
    t = await startTestApp();
    tokens = t.aws.tokens as TestTokenIssuer;
    await readyUser(t, 'alice');
    claims.sub = t.aws.userPool.user('alice')!.sub;
  });
  afterAll(async () => t?.close());

  it('accepts a valid ID token of the pool', async () => {
    expect((await credentials(t, tokens.idToken(claims))).status).toBe(200);
  });

  it.each([
    ['an expired token', () => tokens.idToken(claims, { expired: true })],
    ['a token of another issuer', () => tokens.idToken(claims, { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool' })],
    ['a token for another app client', () => tokens.idToken(claims, { audience: 'someoneelsesclient' })],
    ['an access token where an ID token is expected', () => tokens.accessToken(claims)],
    ['a tampered token', () => tokens.tamper(tokens.idToken(claims))],
    ['a token signed with a key the JWKS does not hold', () => tokens.idToken(claims, { kid: 'unknown-kid' })],
    ['an unsigned token', () => tokens.idToken(claims, { unsigned: true })],
    ['a token with token_use forged to id on an access token', () => tokens.accessToken(claims, { claims: { token_use: 'id' } })],
    ['something that is not a JWT', () => 'not-a-jwt'],
  ])('refuses %s with 401', async (_, mint) => {
    const response = await credentials(t, mint());
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a request without a token', async () => {
    const response = await t.http.get('/v1/sessions/credentials');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });
});

describe('the JWKS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await readyUser(t, 'bob');
  });
  afterAll(async () => t?.close());

  it('is fetched once across many requests', async () => {
    const token = idTokenOf(t.aws, 'bob');
    const responses = await Promise.all(Array.from({ length: 25 }, () => credentials(t, token)));
    for (let i = 0; i < 5; i++) responses.push(await credentials(t, idTokenOf(t.aws, 'bob')));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(t.jwks.requests).toBe(1);
  });
});
