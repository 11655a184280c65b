import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userPolicyDocument, type PolicyDocument } from '../../src/policy/documents.js';
import { compileEntitlements } from '../../src/policy/entitlements.js';
import { evaluate, type IotAction, type NamedPolicy } from '../../src/policy/evaluator.js';
import { SiteRows } from '../support/site-rows.js';
import { PrincipalFactory } from '../support/principal-factory.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';
import type { TestTokenIssuer } from '../support/token-issuer.js';
import { authorizerRequest } from '../unit/authorizer/fixtures.js';

const SECRET = 'authorizer-secret-0123456789abcdef0123';
const ALICE_SUB = '3f1c2a7e-9b8d-4c6f-a1e2-d3c4b5a69788';
const CAROL_SUB = 'c0c0c0c0-0000-4000-8000-000000000001';
const DENY = { isAuthenticated: false };

describe('POST /v1/authorizer/iot', () => {
  let t: TestApp;
  let tokens: TestTokenIssuer;
  let principals: PrincipalFactory;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTHORIZER_SECRET: SECRET } });
    tokens = t.aws.tokens as TestTokenIssuer;
    principals = new PrincipalFactory(t.config.database.url!, t.config.resourcePrefix);
    await principals.user('alice', { sub: ALICE_SUB });
    await principals.user('carol', { sub: CAROL_SUB, status: 'DISABLED' });
  });
  afterAll(async () => {
    await principals?.close();
    await t?.close();
  });

  const authorizer = (body: unknown) =>
    t.http
      .post('/v1/authorizer/iot')
      .set('x-authorizer-secret', SECRET)
      .send(body as object);
  const aliceId = (options = {}) => tokens.idToken({ sub: ALICE_SUB, username: 'alice' }, options);

  describe('a valid token of a provisioned, active user', () => {
    it('allows an ID token over MQTT over WebSocket with the exact policy the service attaches', async () => {
      const response = await authorizer(authorizerRequest('mqtt-over-websocket', aliceId()));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        isAuthenticated: true,
        principalId: '3f1c2a7e9b8d4c6fa1e2d3c4b5a69788',
        refreshAfterInSeconds: 300,
      });
      expect(response.body.policyDocuments).toEqual([userPolicyDocument({ region: t.aws.region, accountId: t.aws.accountId }, 'alice')]);
      expect(response.body.disconnectAfterInSeconds).toBeGreaterThan(3000);
      expect(response.body.disconnectAfterInSeconds).toBeLessThanOrEqual(3600);
    });

    it('allows an access token sent as the MQTT password', async () => {
      const token = tokens.accessToken({ sub: ALICE_SUB, username: 'alice' });
      const response = await authorizer(authorizerRequest('mqtt-username-password', token));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ isAuthenticated: true, principalId: '3f1c2a7e9b8d4c6fa1e2d3c4b5a69788' });
      expect(response.body.policyDocuments).toHaveLength(1);
    });

    it('clamps disconnectAfterInSeconds to 300 for a token about to expire', async () => {
      const response = await authorizer({ token: aliceId({ expiresInSeconds: 60 }) });
      expect(response.body).toMatchObject({ isAuthenticated: true, disconnectAfterInSeconds: 300 });
    });

    it('clamps disconnectAfterInSeconds to 86400 for a token living longer than a day', async () => {
      const response = await authorizer({ token: aliceId({ expiresInSeconds: 3 * 86_400 }) });
      expect(response.body).toMatchObject({ isAuthenticated: true, disconnectAfterInSeconds: 86_400 });
    });

    it('tolerates fields AWS may add that the service does not model', async () => {
      const request = { ...authorizerRequest('mqtt-over-websocket', aliceId()), principalId: 'abc', x509CertificatePem: 'n/a' };
      const response = await authorizer(request);
      expect(response.body.isAuthenticated).toBe(true);
    });
  });

  describe('a member of sites', () => {
    const MIA_SUB = 'e0e0e0e0-0000-4000-8000-000000000001';
    const miaToken = () => tokens.idToken({ sub: MIA_SUB, username: 'mia' });
    const scope = () => ({ region: t.aws.region, accountId: t.aws.accountId });
    const arn = (kind: 'topic' | 'topicfilter', name: string) => `arn:aws:iot:${t.aws.region}:${t.aws.accountId}:${kind}/${name}`;
    let rows: SiteRows;

    beforeAll(async () => {
      await principals.user('mia', { sub: MIA_SUB });
      rows = new SiteRows(t.app);
      await rows.site('dock');
      await rows.member('dock', 'mia', 'operator');
    });

    it('gets the site grants with its own, and loses them on the next call once the membership is gone', async () => {
      const granted = await authorizer({ token: miaToken() });
      expect(granted.body.isAuthenticated).toBe(true);
      const documents = granted.body.policyDocuments as PolicyDocument[];
      const allows = (action: IotAction, resource: string) => evaluate(named(documents), { action, resource, context: { clientId: 'mia' } }).allowed;
      expect(documents).toEqual(
        compileEntitlements({ scope: scope(), prefix: 'iotp', username: 'mia', sites: [{ site: 'dock', role: 'operator' }] }).map((p) => p.document),
      );
      expect(allows('iot:Receive', arn('topic', '_sites/dock/gate1/scan'))).toBe(true);
      expect(allows('iot:Subscribe', arn('topicfilter', '_sites/dock/#'))).toBe(true);
      expect(allows('iot:Publish', arn('topic', '_sites/dock/_cmd/gate1/open'))).toBe(true);

      await rows.removeMember('dock', 'mia');
      const removed = await authorizer({ token: miaToken() });
      expect(removed.body.isAuthenticated).toBe(true);
      expect(removed.body.policyDocuments).toEqual([userPolicyDocument(scope(), 'mia')]);
    });
  });

  describe('denials answer 200 { isAuthenticated: false }', () => {
    it.each([
      ['an expired token', () => aliceId({ expired: true })],
      ['a tampered token', () => tokens.tamper(aliceId())],
      ['a token from another issuer', () => aliceId({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1' })],
      ['a token for another app client', () => aliceId({ audience: 'someoneelsesclient' })],
      ['a token signed with an unknown key', () => aliceId({ kid: 'stranger' })],
      ['an unsigned token', () => aliceId({ unsigned: true })],
      ['a token of a user this service did not provision', () => tokens.idToken({ sub: 'b0b0b0b0-0000-4000-8000-000000000001', username: 'dave' })],
      ['a token of a disabled user', () => tokens.idToken({ sub: CAROL_SUB, username: 'carol' })],
      [
        'a token of an earlier Cognito user of the same name',
        () => tokens.idToken({ sub: 'a0a0a0a0-0000-4000-8000-000000000001', username: 'alice' }),
      ],
      ['a token whose username is not a safe name', () => tokens.idToken({ sub: 'd0d0d0d0-0000-4000-8000-000000000001', username: 'Alice' })],
      ['not a token at all', () => 'hello'],
    ])('%s', async (_, token) => {
      for (const fixture of ['mqtt-over-websocket', 'mqtt-username-password'] as const) {
        const response = await authorizer(authorizerRequest(fixture, token()));
        expect(response.status).toBe(200);
        expect(response.body).toEqual(DENY);
      }
    });

    it.each([
      ['an empty body', {}],
      ['a list', [1, 2]],
      ['a numeric token', { token: 7 }],
      ['protocol data of the wrong shape', { protocolData: { mqtt: 'alice' } }],
    ])('a malformed request: %s', async (_, body) => {
      const response = await authorizer(body);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(DENY);
    });

    it('denies a user as soon as the service disables it', async () => {
      await principals.user('erin', { sub: 'e0e0e0e0-0000-4000-8000-000000000001' });
      const token = tokens.idToken({ sub: 'e0e0e0e0-0000-4000-8000-000000000001', username: 'erin' });
      expect((await authorizer({ token })).body.isAuthenticated).toBe(true);
      await principals.setStatus('erin', 'DISABLED');
      expect((await authorizer({ token })).body).toEqual(DENY);
    });

    it('never writes the token to the logs', async () => {
      const token = aliceId();
      await authorizer(authorizerRequest('mqtt-username-password', token));
      await authorizer({ token: tokens.tamper(token) });
      expect(t.logs.text()).not.toContain(token.split('.')[1]);
    });
  });

  describe('who may call it', () => {
    const body = () => authorizerRequest('mqtt-over-websocket', aliceId());

    it.each([
      ['no credentials', {}],
      ['a wrong secret', { 'x-authorizer-secret': 'authorizer-secret-0123456789abcdef0124' }],
      ['an empty secret', { 'x-authorizer-secret': '' }],
      ['a wrong API key', { 'x-api-key': 'not-the-admin-key-0123456789' }],
      ['a wrong secret with a valid API key', { 'x-authorizer-secret': 'nope', 'x-api-key': ADMIN_KEY }],
    ])('refuses %s with 401', async (_, headers) => {
      const response = await t.http.post('/v1/authorizer/iot').set(headers).send(body());
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHENTICATED');
      expect(response.body).not.toHaveProperty('isAuthenticated');
    });

    it('refuses an app user with 403, even presenting its own valid token', async () => {
      const token = aliceId();
      const response = await t.http.post('/v1/authorizer/iot').set('authorization', `Bearer ${token}`).send({ token });
      expect(response.status).toBe(403);
    });

    it('answers an admin API key', async () => {
      const response = await t.http.post('/v1/authorizer/iot').set('x-api-key', ADMIN_KEY).send(body());
      expect(response.status).toBe(200);
      expect(response.body.isAuthenticated).toBe(true);
    });
  });

  describe('GET /v1/authorizer/users/:username (what the Lambda asks)', () => {
    it.each([
      ['alice', true],
      ['carol', false],
      ['dave', false],
      ['Alice', false],
    ])('%s → active: %s', async (username, active) => {
      const response = await t.http.get(`/v1/authorizer/users/${username}`).set('x-authorizer-secret', SECRET);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ username, active });
    });

    it("answers an active user's documents, the ones POST /v1/authorizer/iot returns, and none for an inactive one", async () => {
      const active = await t.http.get(`/v1/authorizer/users/alice?sub=${ALICE_SUB}`).set('x-authorizer-secret', SECRET);
      const viaRoute = await authorizer({ token: aliceId() });
      expect(active.body).toEqual({ username: 'alice', active: true, policyDocuments: viaRoute.body.policyDocuments });
      const disabled = await t.http.get('/v1/authorizer/users/carol').set('x-authorizer-secret', SECRET);
      expect(disabled.body).toEqual({ username: 'carol', active: false });
    });

    it("is inactive for a sub other than the user's", async () => {
      const own = await t.http.get(`/v1/authorizer/users/alice?sub=${ALICE_SUB}`).set('x-authorizer-secret', SECRET);
      expect(own.body).toMatchObject({ username: 'alice', active: true });
      const other = await t.http.get('/v1/authorizer/users/alice?sub=a0a0a0a0-0000-4000-8000-000000000001').set('x-authorizer-secret', SECRET);
      expect(other.body).toEqual({ username: 'alice', active: false });
    });

    it('refuses callers without the secret or admin credentials', async () => {
      expect((await t.http.get('/v1/authorizer/users/alice')).status).toBe(401);
    });
  });
});

describe('POST /v1/authorizer/iot when a dependency fails', () => {
  let t: TestApp;

  /** A fresh app with alice provisioned; fresh, so its JWKS is not cached yet. */
  async function start(): Promise<TestApp> {
    const app = await startTestApp({ env: { AUTHORIZER_SECRET: SECRET } });
    const principals = new PrincipalFactory(app.config.database.url!);
    await principals.user('alice', { sub: ALICE_SUB });
    await principals.close();
    return app;
  }
  afterEach(async () => t?.close());

  const authorizer = (body: object) => t.http.post('/v1/authorizer/iot').set('x-authorizer-secret', SECRET).send(body);
  const aliceToken = () => (t.aws.tokens as TestTokenIssuer).idToken({ sub: ALICE_SUB, username: 'alice' });

  it('denies, rather than failing, while the database refuses connections', async () => {
    t = await start();
    expect((await authorizer({ token: aliceToken() })).body.isAuthenticated).toBe(true);
    const database = new URL(t.config.database.url!).pathname.slice(1);
    await withServer(t.config.database.url!, (client) => setConnections(client, database, false));
    try {
      const response = await authorizer({ token: aliceToken() });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(DENY);
    } finally {
      await withServer(t.config.database.url!, (client) => setConnections(client, database, true));
    }
    expect((await authorizer({ token: aliceToken() })).body.isAuthenticated).toBe(true);
  });

  it('denies, rather than failing, while the JWKS cannot be fetched', async () => {
    t = await start();
    await t.jwks.stop();
    const response = await authorizer({ token: aliceToken() });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(DENY);
  });
});

const named = (documents: PolicyDocument[]): NamedPolicy[] => documents.map((document, index) => ({ policyName: `document-${index}`, document }));

/** Runs work on the server's maintenance database, which stays reachable while ours is closed. */
async function withServer(databaseUrl: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function setConnections(client: pg.Client, database: string, allowed: boolean): Promise<void> {
  await client.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS ${allowed}`);
  if (!allowed) {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  }
}
