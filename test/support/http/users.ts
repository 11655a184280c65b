import type { TestApp } from '../test-app.js';
import { admin } from './admin.js';

export const PASSWORD = 'Correct-Horse-42';

/** POST /v1/users as admin. */
export function createUser(t: TestApp, body: Record<string, unknown>) {
  return admin(t).post('/v1/users').send(body);
}

/** A provisioned user who can sign in with PASSWORD and has never signed in (as if an admin had set a permanent password). */
export async function readyUser(t: TestApp, username: string, password = PASSWORD): Promise<void> {
  const response = await createUser(t, { username, temporaryPassword: password });
  if (response.status !== 201) throw new Error(`creating ${username} failed: ${response.status} ${JSON.stringify(response.body)}`);
  t.aws.userPool.user(username)!.status = 'CONFIRMED';
}
