import { randomUUID } from 'node:crypto';
import type { FakeAws } from '../fakes/fake-aws.js';
import { ADMIN_KEY, type TestApp } from '../support/test-app.js';

export const PASSWORD = 'Correct-Horse-42';

/** POST /v1/users as admin. */
export function createUser(t: TestApp, body: Record<string, unknown>) {
  return t.http.post('/v1/users').set('x-api-key', ADMIN_KEY).send(body);
}

/** A provisioned user who can sign in with PASSWORD and has never signed in (as if an admin had set a permanent password). */
export async function readyUser(t: TestApp, username: string, password = PASSWORD): Promise<void> {
  const response = await createUser(t, { username, temporaryPassword: password });
  if (response.status !== 201) throw new Error(`creating ${username} failed: ${response.status} ${JSON.stringify(response.body)}`);
  t.aws.userPool.user(username)!.status = 'CONFIRMED';
}

export function signIn(t: TestApp, username: string, password = PASSWORD, address?: string) {
  const request = t.http.post('/v1/sessions');
  if (address) request.set('x-forwarded-for', address);
  return request.send({ username, password });
}

export function credentials(t: TestApp, idToken: string) {
  return t.http.get('/v1/sessions/credentials').set('authorization', `Bearer ${idToken}`);
}

/** An ID token for a pool user, as an app that signs in with Cognito itself would hold. */
export function idTokenOf(aws: FakeAws, username: string): string {
  const user = aws.userPool.user(username);
  return aws.tokens.idToken({ sub: user?.sub ?? randomUUID(), username, groups: user ? [...user.groups] : [] });
}

/** The AWS API names called so far, in order. */
export function apis(aws: FakeAws): string[] {
  return aws.calls.map((call) => call.api);
}

export function admin(t: TestApp) {
  return {
    get: (path: string) => t.http.get(path).set('x-api-key', ADMIN_KEY),
    post: (path: string) => t.http.post(path).set('x-api-key', ADMIN_KEY),
    delete: (path: string) => t.http.delete(path).set('x-api-key', ADMIN_KEY),
  };
}
