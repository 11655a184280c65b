import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestTokenIssuer } from '../support/token-issuer.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const ROOT_SUB = 'a1b2c3d4-0000-4000-8000-00000000beef';

interface Operation {
  method: string;
  path: string;
}

/** Every operation the app's own OpenAPI document marks as admin, so routes added later are covered too. */
async function adminOperations(t: TestApp): Promise<Operation[]> {
  const document = (await t.http.get('/docs/openapi.json')).body as {
    paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, operation]) => operation.security?.some((requirement) => 'admin-api-key' in requirement))
      .map(([method]) => ({ method, path })),
  );
}

/** Path parameters get a harmless, well-formed value; what the route then says about it does not matter here. */
function send(t: TestApp, { method, path }: Operation) {
  const url = path.replace(/\{[^}]+\}/g, 'nobody');
  const request = (t.http as unknown as Record<string, (url: string) => ReturnType<TestApp['http']['get']>>)[method]!(url);
  return ['post', 'put', 'patch'].includes(method) ? request.send({}) : request;
}

describe('every admin route refuses what is not an admin', () => {
  let t: TestApp;
  let operations: Operation[];
  let tokens: TestTokenIssuer;
  beforeAll(async () => {
    t = await startTestApp();
    tokens = t.aws.tokens as TestTokenIssuer;
    operations = await adminOperations(t);
    t.aws.userPool.seedUser({ username: 'root', password: 'Root-Password-1', groups: ['admins'], sub: ROOT_SUB });
  });
  afterAll(async () => t?.close());

  it('finds the admin routes in the OpenAPI document', () => {
    const names = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /v1/users',
        'GET /v1/users',
        'GET /v1/users/{username}',
        'POST /v1/users/{username}/disable',
        'POST /v1/users/{username}/enable',
        'DELETE /v1/users/{username}',
        'GET /v1/operations',
      ]),
    );
  });

  const admin = () => ({ sub: ROOT_SUB, username: 'root', groups: ['admins'] });
  const cases: Array<[string, number, () => Record<string, string>]> = [
    ['no credentials', 401, () => ({})],
    ['a wrong API key', 401, () => ({ 'x-api-key': 'wrong-key-0123456789abcdefghij' })],
    ['a tampered admin token', 401, () => ({ authorization: `Bearer ${tokens.tamper(tokens.idToken(admin()))}` })],
    ['an expired admin token', 401, () => ({ authorization: `Bearer ${tokens.idToken(admin(), { expired: true })}` })],
    [
      'a valid ID token outside the admin group',
      403,
      () => ({ authorization: `Bearer ${tokens.idToken({ sub: randomUUID(), username: 'mallory', groups: ['users'] })}` }),
    ],
  ];

  it.each(cases)('answers %s with %i on every admin route', async (_, status, headers) => {
    const answers = await Promise.all(operations.map(async (operation) => [operation, (await send(t, operation).set(headers())).status] as const));
    const wrong = answers.filter(([, answer]) => answer !== status).map(([operation, answer]) => `${operation.method} ${operation.path}: ${answer}`);
    expect(wrong).toEqual([]);
  });

  it.each([
    ['the admin API key', () => ({ 'x-api-key': ADMIN_KEY })],
    ['an ID token of the admin group', () => ({ authorization: `Bearer ${tokens.idToken(admin())}` })],
    ['an access token of the admin group', () => ({ authorization: `Bearer ${tokens.accessToken(admin())}` })],
  ])('lets %s through on every admin route', async (_, headers) => {
    const answers = await Promise.all(operations.map(async (operation) => [operation, (await send(t, operation).set(headers())).status] as const));
    const refused = answers
      .filter(([, answer]) => answer === 401 || answer === 403)
      .map(([operation, answer]) => `${operation.method} ${operation.path}: ${answer}`);
    expect(refused).toEqual([]);
  });
});

describe('admin tokens outlive neither the admin group nor the admin', () => {
  const RECHECK_SECONDS = 60;
  let t: TestApp;
  let tokens: TestTokenIssuer;
  beforeAll(async () => {
    t = await startTestApp({ env: { ADMIN_RECHECK_SECONDS: String(RECHECK_SECONDS) } });
    tokens = t.aws.tokens as TestTokenIssuer;
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  const seedAdmin = (username: string) => {
    const user = t.aws.userPool.seedUser({ username, password: 'Admin-Password-1', groups: ['admins'] });
    return {
      id: tokens.idToken({ sub: user.sub, username, groups: ['admins'] }),
      access: tokens.accessToken({ sub: user.sub, username, groups: ['admins'] }),
    };
  };
  const listUsers = (token: string) => t.http.get('/v1/users').set('authorization', `Bearer ${token}`);

  it.each([
    ['removed from the admin group', (username: string) => t.aws.userPool.removeFromGroup(username, 'admins'), 'NOT_IN_GROUP'],
    ['disabled in Cognito', (username: string) => void (t.aws.userPool.user(username)!.enabled = false), 'USER_DISABLED'],
    ['deleted from Cognito', (username: string) => t.aws.userPool.deleteUser(username), 'USER_GONE'],
  ])('refuses the tokens of an admin %s once the recheck interval has passed', async (_, change, reason) => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const username = `admin-${reason.toLowerCase().replace(/_/g, '-')}`;
    const held = seedAdmin(username);
    expect((await listUsers(held.id)).status).toBe(200);
    t.aws.resetCalls();

    await change(username);
    // Within the interval Cognito is not asked again: the window the README documents.
    vi.setSystemTime(Date.now() + (RECHECK_SECONDS - 1) * 1000);
    expect((await listUsers(held.access)).status).toBe(200);
    expect(t.aws.countCalls('AdminGetUser')).toBe(0);

    vi.setSystemTime(Date.now() + 2000);
    for (const token of [held.id, held.access]) {
      const refused = await listUsers(token);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'FORBIDDEN', details: { reason } });
    }
    expect(t.aws.countCalls('AdminGetUser')).toBe(1);
    vi.useRealTimers();
  });

  it('refuses an admin token of a username deleted and created again in the group', async () => {
    const held = seedAdmin('admin-reborn');
    await t.aws.userPool.deleteUser('admin-reborn');
    t.aws.userPool.seedUser({ username: 'admin-reborn', password: 'Admin-Password-2', groups: ['admins'] });
    expect((await listUsers(held.id)).body.details).toEqual({ reason: 'USER_GONE' });
  });

  it('answers 503 while Cognito cannot say, and asks again on the next request', async () => {
    const held = seedAdmin('admin-unsure');
    t.aws.faults.inject({ api: 'AdminGetUser', error: 'unavailable' });
    const unsure = await listUsers(held.id);
    expect(unsure.status).toBe(503);
    expect(unsure.body.code).toBe('AWS_UNAVAILABLE');
    expect((await listUsers(held.id)).status).toBe(200);
  });
});
