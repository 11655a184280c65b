import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { createTestDatabase } from '../support/database.js';
import { consistency, readOperations, readRows } from '../support/invariants.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';
import { createUser, PASSWORD } from '../support/http/users.js';

/**
 * Outages of what the service depends on. Every request must resolve within a bound (supertest's
 * timeout below: a hang fails the test), answer 503 with the right code, never 500, and the
 * service must come back by itself once the dependency does.
 */

/** Far above what any answer here should take, far below "hangs". */
const BOUND_MS = 8000;

describe('Postgres outage', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = TcpProxy.to(database.url);
    await proxy.start();
    t = await startTestApp({ databaseUrl: proxy.through(database.url), env: { OPERATION_LEASE_MS: '500' } });
  });
  afterEach(async () => {
    await proxy.start();
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
    await database?.drop();
  });

  const listUsers = () => admin(t).get('/v1/users').timeout(BOUND_MS);
  const ready = () => t.http.get('/health/ready').timeout(BOUND_MS);

  async function expectDatabaseUnavailable(response: { status: number; body: { code?: string }; headers: Record<string, string> }) {
    expect(response.status, JSON.stringify(response.body)).toBe(503);
    expect(response.body.code).toBe('DATABASE_UNAVAILABLE');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  }

  it('answers 503 DATABASE_UNAVAILABLE while Postgres is down, and serves again once it is back, without a restart', async () => {
    expect((await createUser(t, { username: 'before', temporaryPassword: PASSWORD })).status).toBe(201);
    // Several requests at once, so the pool holds several connections when they are cut.
    expect((await Promise.all([listUsers(), listUsers(), listUsers()])).map((response) => response.status)).toEqual([200, 200, 200]);
    expect(proxy.connections).toBeGreaterThan(0);

    await proxy.stop();
    for (let attempt = 0; attempt < 3; attempt++) await expectDatabaseUnavailable(await listUsers());
    t.aws.resetCalls();
    await expectDatabaseUnavailable(await createUser(t, { username: 'during', temporaryPassword: PASSWORD }).timeout(BOUND_MS));
    // Nothing reached AWS: the operation could not even be recorded.
    expect(t.aws.calls).toEqual([]);
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.body).toMatchObject({ code: 'NOT_READY', details: { details: { database: { status: 'down' } } } });
    expect((await t.http.get('/health/live').timeout(BOUND_MS)).status).toBe(200);

    await proxy.start();
    expect((await listUsers()).status).toBe(200);
    expect((await ready()).status).toBe(200);
    expect((await createUser(t, { username: 'after', temporaryPassword: PASSWORD })).status).toBe(201);
    expect(await consistency(t.aws, database.url)).toEqual([]);
  });

  it('answers 503 within the bound while Postgres is unreachable without a word (packets dropped), and recovers', async () => {
    expect((await listUsers()).status).toBe(200);
    proxy.blackhole();
    await expectDatabaseUnavailable(await listUsers());
    await expectDatabaseUnavailable(await createUser(t, { username: 'dropped', temporaryPassword: PASSWORD }).timeout(BOUND_MS));
    expect((await ready()).status).toBe(503);

    await proxy.stop();
    await proxy.start();
    await expect.poll(async () => (await listUsers()).status, { timeout: BOUND_MS, interval: 200 }).toBe(200);
    expect((await ready()).status).toBe(200);
    expect(await consistency(t.aws, database.url)).toEqual([]);
  });

  it('an operation cut off from Postgres mid-way is undone by recovery once Postgres is back', async () => {
    let resume!: () => void;
    const atPolicy = new Promise<void>((reached) => {
      const stop = t.aws.onCall('CreatePolicy', () => {
        stop();
        reached();
        return new Promise<void>((resolve) => (resume = resolve));
      });
    });
    const creating = Promise.resolve(createUser(t, { username: 'cut', temporaryPassword: PASSWORD }).timeout(BOUND_MS));
    await atPolicy;
    await proxy.stop();
    resume();
    // It cannot record the policy, nor its undo: the pool user and the policy stay, the record says RUNNING.
    await expectDatabaseUnavailable(await creating);
    expect(t.aws.userPool.user('cut')).toBeDefined();
    expect(t.aws.snapshot().policies).toContain('iotp_cut');

    await proxy.start();
    const recovery = t.app.get(RecoveryService);
    await expect
      .poll(
        async () => {
          await recovery.recoverAll();
          return (await readOperations(database.url)).filter((operation) => operation.subject === 'user:cut').map((operation) => operation.status);
        },
        { timeout: 10_000, interval: 200 },
      )
      .toEqual(['UNDONE']);
    expect(t.aws.userPool.user('cut')).toBeUndefined();
    expect(t.aws.snapshot().policies).not.toContain('iotp_cut');
    expect((await readRows(database.url)).users.map((user) => user.username)).not.toContain('cut');
    expect(await consistency(t.aws, database.url)).toEqual([]);
  });
});

/** The real adapters against local sockets standing in for AWS; never AWS itself. */
describe('AWS unreachable', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  let t: TestApp | undefined;

  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIATESTTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    vi.unstubAllEnvs();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function appWithEndpoint(endpoint: string): Promise<TestApp> {
    return startTestApp({
      aws: false,
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ACCOUNT_ID: '123456789012',
        COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
        COGNITO_CLIENT_ID: 'client123',
        COGNITO_IDENTITY_POOL_ID: 'eu-west-1:1234abcd-0000-4000-8000-00000000abcd',
        IOT_ENDPOINT: 'test-ats.iot.eu-west-1.amazonaws.com',
        AWS_ENDPOINT_URL: endpoint,
        AWS_TIMEOUT_MS: '300',
        AWS_MAX_ATTEMPTS: '2',
      },
    });
  }

  async function expectAwsUnavailable(app: TestApp): Promise<void> {
    const response = await createUser(app, { username: 'nobody', temporaryPassword: PASSWORD }).timeout(BOUND_MS);
    expect(response.status, JSON.stringify(response.body)).toBe(503);
    expect(response.body.code).toBe('AWS_UNAVAILABLE');
    expect(await readRows(app.config.database.url!)).toEqual({ users: [], devices: [], certificates: [], sites: [], members: [] });
    expect((await readOperations(app.config.database.url!)).map((operation) => operation.status)).toEqual(['UNDONE']);
  }

  it('answers 503 AWS_UNAVAILABLE when nothing listens at the endpoint', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    t = await appWithEndpoint(`http://127.0.0.1:${port}`);
    await expectAwsUnavailable(t);
  });

  it('answers 503 AWS_UNAVAILABLE when the endpoint accepts connections but never answers', async () => {
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    t = await appWithEndpoint(`http://127.0.0.1:${port}`);
    await expectAwsUnavailable(t);
  });
});
