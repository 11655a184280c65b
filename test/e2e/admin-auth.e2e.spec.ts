import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTokenIssuer } from '../support/token-issuer.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

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

  const admin = () => ({ sub: randomUUID(), username: 'root', groups: ['admins'] });
  const cases: Array<[string, number, () => Record<string, string>]> = [
    ['no credentials', 401, () => ({})],
    ['a wrong API key', 401, () => ({ 'x-api-key': 'wrong-key-0123456789abcdefghij' })],
    ['a tampered admin token', 401, () => ({ authorization: `Bearer ${tokens.tamper(tokens.idToken(admin()))}` })],
    ['an expired admin token', 401, () => ({ authorization: `Bearer ${tokens.idToken(admin(), { expired: true })}` })],
    ['a valid ID token outside the admin group', 403, () => ({ authorization: `Bearer ${tokens.idToken({ sub: randomUUID(), username: 'mallory', groups: ['users'] })}` })],
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
    const refused = answers.filter(([, answer]) => answer === 401 || answer === 403).map(([operation, answer]) => `${operation.method} ${operation.path}: ${answer}`);
    expect(refused).toEqual([]);
  });
});
