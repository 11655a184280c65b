/**
 * The Lambda entry, called directly as AWS would call it, against the real service listening on
 * loopback (which it asks whether a user is active) and the test JWKS server.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler, handler, type AuthorizerFunction } from '../../src/authorizer/lambda.js';
import { userPolicyDocument } from '../../src/policy/documents.js';
import { compileEntitlements } from '../../src/policy/entitlements.js';
import { SiteRows } from '../support/site-rows.js';
import { LogCapture } from '../support/log-capture.js';
import { PrincipalFactory } from '../support/principal-factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestTokenIssuer } from '../support/token-issuer.js';
import { authorizerRequest } from '../unit/authorizer/fixtures.js';

const SECRET = 'authorizer-secret-0123456789abcdef0123';
const ALICE_SUB = '3f1c2a7e-9b8d-4c6f-a1e2-d3c4b5a69788';
const CAROL_SUB = 'c0c0c0c0-0000-4000-8000-000000000001';
const MIA_SUB = 'e0e0e0e0-0000-4000-8000-000000000001';
const DENY = { isAuthenticated: false };

describe('authorizer Lambda handler', () => {
  let t: TestApp;
  let tokens: TestTokenIssuer;
  let lambdaEnv: Record<string, string>;
  let logs: LogCapture;
  let lambda: AuthorizerFunction;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTHORIZER_SECRET: SECRET } });
    await t.app.listen(0, '127.0.0.1');
    tokens = t.aws.tokens as TestTokenIssuer;
    const principals = new PrincipalFactory(t.config.database.url!);
    await principals.user('alice', { sub: ALICE_SUB });
    await principals.user('carol', { sub: CAROL_SUB, status: 'DISABLED' });
    await principals.user('mia', { sub: MIA_SUB });
    await principals.close();
    // What a deployment sets on the function: the service's pool, account and prefix, the secret, the URL.
    lambdaEnv = {
      ...t.aws.env(),
      COGNITO_JWKS_URI: t.config.cognito.jwksUri!,
      RESOURCE_PREFIX: t.config.resourcePrefix,
      AUTHORIZER_SECRET: SECRET,
      AUTHORIZER_SERVICE_URL: (await t.app.getUrl()).replace('[::1]', '127.0.0.1'),
    };
    logs = new LogCapture();
    lambda = createHandler(lambdaEnv, { logger: pino({ level: 'info' }, logs) });
  });
  afterAll(async () => t?.close());
  afterEach(() => vi.unstubAllEnvs());

  const alice = () => tokens.idToken({ sub: ALICE_SUB, username: 'alice' });

  it('allows an ID token over MQTT over WebSocket, with the same answer as the HTTP route', async () => {
    const request = authorizerRequest('mqtt-over-websocket', alice());
    const response = await lambda(request);
    expect(response).toMatchObject({ isAuthenticated: true, principalId: '3f1c2a7e9b8d4c6fa1e2d3c4b5a69788', refreshAfterInSeconds: 300 });
    const allowed = response as { policyDocuments: unknown[]; disconnectAfterInSeconds: number };
    expect(allowed.policyDocuments).toEqual([userPolicyDocument({ region: t.aws.region, accountId: t.aws.accountId }, 'alice')]);
    const viaHttp = await t.http.post('/v1/authorizer/iot').set('x-authorizer-secret', SECRET).send(request);
    const { disconnectAfterInSeconds: _http, ...httpRest } = viaHttp.body as Record<string, unknown>;
    const { disconnectAfterInSeconds: _lambda, ...lambdaRest } = response as unknown as Record<string, unknown>;
    expect(lambdaRest).toEqual(httpRest);
  });

  it("returns a member's site grants, as the service compiles them, and drops them once the membership is gone", async () => {
    const rows = new SiteRows(t.app);
    await rows.site('dock');
    await rows.member('dock', 'mia', 'member');
    const request = authorizerRequest('mqtt-over-websocket', tokens.idToken({ sub: MIA_SUB, username: 'mia' }));
    const scope = { region: t.aws.region, accountId: t.aws.accountId };

    const member = await lambda(request);
    expect(member).toMatchObject({ isAuthenticated: true });
    const documents = (member as { policyDocuments: unknown[] }).policyDocuments;
    expect(documents).toEqual(
      compileEntitlements({ scope, prefix: 'iotp', username: 'mia', sites: [{ site: 'dock', role: 'member' }] }).map((p) => p.document),
    );
    expect(JSON.stringify(documents)).toContain('_sites/dock/');
    const viaHttp = await t.http.post('/v1/authorizer/iot').set('x-authorizer-secret', SECRET).send(request);
    expect(viaHttp.body.policyDocuments).toEqual(documents);

    await rows.removeMember('dock', 'mia');
    expect(await lambda(request)).toMatchObject({ isAuthenticated: true, policyDocuments: [userPolicyDocument(scope, 'mia')] });
  });

  it('allows an access token sent as the MQTT password', async () => {
    const token = tokens.accessToken({ sub: ALICE_SUB, username: 'alice' });
    expect(await lambda(authorizerRequest('mqtt-username-password', token))).toMatchObject({ isAuthenticated: true });
  });

  it.each([
    ['an expired token', () => tokens.idToken({ sub: ALICE_SUB, username: 'alice' }, { expired: true })],
    ['a tampered token', () => tokens.tamper(tokens.idToken({ sub: ALICE_SUB, username: 'alice' }))],
    [
      'a token from another pool',
      () => tokens.idToken({ sub: ALICE_SUB, username: 'alice' }, { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1' }),
    ],
    ['a disabled user (the service says so)', () => tokens.idToken({ sub: CAROL_SUB, username: 'carol' })],
    ['an earlier Cognito user of the same name', () => tokens.idToken({ sub: 'a0a0a0a0-0000-4000-8000-000000000001', username: 'alice' })],
    ['a user the service did not provision', () => tokens.idToken({ sub: 'd0d0d0d0-0000-4000-8000-000000000001', username: 'dave' })],
  ])('denies %s', async (_, token) => {
    expect(await lambda(authorizerRequest('mqtt-username-password', token()))).toEqual(DENY);
  });

  it('denies a malformed event instead of throwing', async () => {
    expect(await lambda({} as never)).toEqual(DENY);
    expect(await lambda(null as never)).toEqual(DENY);
  });

  it('denies when the service cannot be reached, and logs why', async () => {
    const unreachable = new LogCapture();
    const cut = createHandler({ ...lambdaEnv, AUTHORIZER_SERVICE_URL: 'http://127.0.0.1:9' }, { logger: pino(unreachable) });
    expect(await cut(authorizerRequest('mqtt-over-websocket', alice()))).toEqual(DENY);
    expect(unreachable.records()).toEqual([expect.objectContaining({ level: 40, reason: 'authorization check failed' })]);
  });

  it('denies when the service refuses its secret', async () => {
    const wrong = createHandler({ ...lambdaEnv, AUTHORIZER_SECRET: 'not-the-secret-0123456789abcdef0123' }, { logger: pino({ level: 'silent' }) });
    expect(await wrong(authorizerRequest('mqtt-over-websocket', alice()))).toEqual(DENY);
  });

  it('never logs the token', async () => {
    const token = alice();
    await lambda(authorizerRequest('mqtt-username-password', token));
    await lambda({ token: tokens.tamper(token) } as never);
    expect(logs.text()).toContain('custom authorizer');
    expect(logs.text()).not.toContain(token.split('.')[1]);
  });

  it('the exported handler reads the environment, and denies while it is incomplete', async () => {
    vi.stubEnv('AUTHORIZER_SERVICE_URL', undefined);
    vi.stubEnv('AWS_ACCOUNT_ID', undefined);
    vi.stubEnv('LOG_LEVEL', 'silent');
    const request = authorizerRequest('mqtt-over-websocket', alice());
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await handler(request)).toEqual(DENY);
    } finally {
      stdout.mockRestore();
    }
    for (const [name, value] of Object.entries({ ...lambdaEnv, LOG_LEVEL: 'silent' })) vi.stubEnv(name, value);
    expect(await handler(request)).toMatchObject({ isAuthenticated: true });
  });
});
