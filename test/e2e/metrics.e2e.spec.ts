import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuotaLimiter } from '../../src/aws/quota-limiter.js';
import { loadConfig } from '../../src/config/app-config.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';
import { credentials, idTokenOf, signIn } from '../support/http/sessions.js';
import { createUser, PASSWORD, readyUser } from '../support/http/users.js';

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

/** The value of one series in Prometheus text, found by name and (a subset of) its labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let t: TestApp;
  const scrape = async () => (await t.http.get('/metrics')).text;

  beforeAll(async () => {
    // The fakes' calls pass through the app's own limiter, which counts them, as the adapters' calls do.
    const metrics = new Metrics();
    const limiter = new QuotaLimiter(loadConfig({}), metrics);
    t = await startTestApp({
      env: { SIGNIN_MAX_FAILURES_PER_USER: '2' },
      aws: { limiter },
      override: (builder) => builder.overrideProvider(Metrics).useValue(metrics).overrideProvider(QuotaLimiter).useValue(limiter),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers Prometheus text at the root, outside the API prefix, with process metrics', async () => {
    const response = await t.http.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(response.text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(response.text, 'nodejs_eventloop_lag_seconds')).toBeDefined();
    expect((await t.http.get('/v1/metrics')).status).toBe(404);
  });

  it('counts requests by route template, method and status, never by raw path', async () => {
    await t.http.get('/health/live');
    await t.http.get('/v1/users/carol-who-does-not-exist').set('x-api-key', ADMIN_KEY);
    await t.http.get('/v1/no-such-route/zebra-path-42');
    const text = await scrape();
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/health/live', method: 'GET', status: '200' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/v1/users/:username', method: 'GET', status: '404' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_bucket', { route: '/health/live', le: '+Inf' })).toBe(1);
    expect(text).not.toContain('carol-who-does-not-exist');
    expect(text).not.toContain('zebra-path-42');
  });

  it('counts AWS calls by API and outcome, and operations by kind and outcome', async () => {
    expect((await createUser(t, { username: 'dora', temporaryPassword: PASSWORD })).status).toBe(201);
    t.aws.faults.inject({ api: 'CreatePolicy', error: 'throttle' });
    expect((await createUser(t, { username: 'erin', temporaryPassword: PASSWORD })).status).toBe(503);
    const text = await scrape();
    expect(sample(text, 'aws_call_duration_seconds_count', { api: 'AdminCreateUser', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'aws_call_duration_seconds_count', { api: 'CreatePolicy', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'aws_call_duration_seconds_count', { api: 'CreatePolicy', outcome: 'AWS_THROTTLED' })).toBe(1);
    expect(sample(text, 'aws_throttled_total', { api: 'CreatePolicy' })).toBe(1);
    expect(sample(text, 'operations_total', { kind: 'create-user', outcome: 'started' })).toBe(2);
    expect(sample(text, 'operations_total', { kind: 'create-user', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'operations_total', { kind: 'create-user', outcome: 'undone' })).toBe(1);
  });

  it('counts credential cache hits and misses, and its size', async () => {
    await readyUser(t, 'fred');
    const first = await signIn(t, 'fred');
    expect(first.status).toBe(200);
    expect((await credentials(t, idTokenOf(t.aws, 'fred'))).status).toBe(200);
    const text = await scrape();
    expect(sample(text, 'credential_cache_misses_total')).toBe(1);
    expect(sample(text, 'credential_cache_hits_total')).toBe(1);
    expect(sample(text, 'credential_cache_entries')).toBe(1);
  });

  it('counts failed sign-ins and the refusals of the limiter', async () => {
    await readyUser(t, 'gina');
    for (let n = 0; n < 2; n++) expect((await signIn(t, 'gina', 'Wrong-Password-1')).status).toBe(401);
    expect((await signIn(t, 'gina', 'Wrong-Password-1')).status).toBe(429);
    const text = await scrape();
    expect(sample(text, 'signin_failures_total')).toBe(2);
    expect(sample(text, 'signin_rate_limited_total', { scope: 'user' })).toBe(1);
  });

  it('shows the database pool in use and the findings of the latest drift report', async () => {
    await t.aws.iot.createPolicy('iotp_mallory', '{"Version":"2012-10-17","Statement":[]}');
    expect((await t.http.get('/v1/admin/drift').set('x-api-key', ADMIN_KEY)).status).toBe(200);
    const text = await scrape();
    expect(sample(text, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(sample(text, 'drift_findings', { kind: 'orphans' })).toBe(1);
    expect(sample(text, 'drift_findings', { kind: 'ghosts' })).toBe(0);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ aws: false, env: { METRICS_TOKEN } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses scrapers without the token, or with another, in the error shape', async () => {
    for (const request of [t.http.get('/metrics'), t.http.get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}x`)]) {
      const response = await request;
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });
    }
  });

  it('answers a scraper with the token', async () => {
    const response = await t.http.get('/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.text).toContain('http_request_duration_seconds');
  });
});
