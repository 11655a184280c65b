import { randomUUID } from 'node:crypto';
import type { FakeAws } from '../../fakes/fake-aws.js';
import type { TestApp } from '../test-app.js';
import { PASSWORD } from './users.js';

/** POST /v1/sessions, from `address` when given (the app trusts x-forwarded-for in tests). */
export function signIn(t: TestApp, username: string, password = PASSWORD, address?: string) {
  const request = t.http.post('/v1/sessions');
  if (address) request.set('x-forwarded-for', address);
  return request.send({ username, password });
}

/** GET /v1/sessions/credentials with an ID token. */
export function credentials(t: TestApp, idToken: string) {
  return t.http.get('/v1/sessions/credentials').set('authorization', `Bearer ${idToken}`);
}

/** An ID token for a pool user, as an app that signs in with Cognito itself would hold. */
export function idTokenOf(aws: FakeAws, username: string): string {
  const user = aws.userPool.user(username);
  return aws.tokens.idToken({ sub: user?.sub ?? randomUUID(), username, groups: user ? [...user.groups] : [] });
}
