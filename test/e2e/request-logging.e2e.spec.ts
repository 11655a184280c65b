import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogRoot } from '../../src/common/logging/log-root.js';
import { FakeAws } from '../fakes/fake-aws.js';
import { createTestDatabase } from '../support/database.js';
import { buildChildService, ServiceProcess } from '../support/service-process.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const SECRET = 'authorizer-secret-0123456789abcdef0123';

describe('request logging', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTHORIZER_SECRET: SECRET } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes one line per request with its id, method, url, status and duration', async () => {
    await t.http.get('/v1/nothing-here?x=1').set('x-request-id', 'line-fields-1');
    const lines = t.logs.records().filter((record) => (record.req as { id?: string } | undefined)?.id === 'line-fields-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request completed',
      level: 30,
      req: { id: 'line-fields-1', method: 'GET', url: '/v1/nothing-here?x=1' },
      res: { statusCode: 404 },
      responseTime: expect.any(Number),
    });
  });

  it('names the request on lines services write while it runs', async () => {
    await t.http.post('/v1/authorizer/iot').set('x-authorizer-secret', SECRET).set('x-request-id', 'service-line-1').send({ token: 'not-a-token' });
    const decision = t.logs
      .records()
      .find((record) => record.msg === 'custom authorizer denied' && (record.req as { id?: string } | undefined)?.id === 'service-line-1');
    expect(decision).toMatchObject({ context: 'AuthorizerService', outcome: 'denied' });
  });

  it("does not leak one request's id into lines written outside any request", async () => {
    await t.http.get('/health/live').set('x-request-id', 'outside-1');
    t.app.get(LogRoot).logger.info('between requests');
    const line = t.logs.records().find((record) => record.msg === 'between requests');
    expect(line).toBeDefined();
    expect(line!.req).toBeUndefined();
  });
});

describe('buffered log writes', () => {
  let build: Awaited<ReturnType<typeof buildChildService>>;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    [build, database] = await Promise.all([buildChildService(), createTestDatabase()]);
  });
  afterAll(async () => {
    await database?.drop();
    await build?.remove();
  });

  it('writes the lines still buffered when the service is stopped', async () => {
    const child = await ServiceProcess.start({ entry: build.entry, aws: new FakeAws(), databaseUrl: database.url, env: { LOG_LEVEL: 'info' } });
    try {
      const ids = Array.from({ length: 5 }, (_, n) => `last-line-${n}`);
      for (const id of ids) await fetch(`${child.url}/health/live`, { headers: { 'x-request-id': id } });
      await child.terminate();
      const lines = child.logs.split('\n').filter((line) => line.includes('"request completed"'));
      expect(ids.filter((id) => !lines.some((line) => line.includes(`"id":"${id}"`)))).toEqual([]);
    } finally {
      await child.kill();
    }
  });
});
