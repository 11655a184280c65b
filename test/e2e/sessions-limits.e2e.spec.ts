import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { query } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

const WINDOW_SECONDS = 600;
const DELAY_BASE_SECONDS = 60;
const FREE_FAILURES = 3;
const MAX_PER_USER = 10;
const MAX_PER_ADDRESS = 20;
// The test client plays a trusted load balancer on loopback: its X-Forwarded-For names the client address.
const LIMITS = {
  SIGNIN_FREE_FAILURES_PER_PAIR: String(FREE_FAILURES),
  SIGNIN_DELAY_BASE_SECONDS: String(DELAY_BASE_SECONDS),
  SIGNIN_DELAY_MAX_SECONDS: '600',
  SIGNIN_MAX_FAILURES_PER_USER: String(MAX_PER_USER),
  SIGNIN_MAX_FAILURES_PER_ADDRESS: String(MAX_PER_ADDRESS),
  SIGNIN_WINDOW_SECONDS: String(WINDOW_SECONDS),
  TRUST_PROXY: '127.0.0.1',
};
const WRONG = 'Wrong-Password-1';

describe('sign-in throttling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('delays a (username, address) pair after its free failures, more after each further one, without asking Cognito', async () => {
    await readyUser(t, 'alice');
    for (let i = 0; i < FREE_FAILURES; i++) expect((await signIn(t, 'alice', WRONG, '198.51.100.1')).status).toBe(401);
    t.aws.resetCalls();

    const delayed = await signIn(t, 'alice', undefined, '198.51.100.1');
    expect(delayed.status).toBe(429);
    expect(delayed.body).toEqual({ code: 'RATE_LIMITED', message: 'Too many failed sign-ins; retry later', requestId: expect.any(String) });
    const first = Number(delayed.headers['retry-after']);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(DELAY_BASE_SECONDS);
    // Case does not open a second count: Cognito would sign "ALICE" in as alice.
    expect((await signIn(t, 'ALICE', WRONG, '198.51.100.1')).status).toBe(429);
    expect(t.aws.countCalls('AdminInitiateAuth')).toBe(0);

    // The delay passes (the database's clock, moved back for the pair's rows): one more try, then twice the delay.
    await query(t, `UPDATE sign_in_failures SET occurred_at = occurred_at - make_interval(secs => $1) WHERE subject LIKE 'pair:%'`, [
      DELAY_BASE_SECONDS,
    ]);
    expect((await signIn(t, 'alice', WRONG, '198.51.100.1')).status).toBe(401);
    const second = Number((await signIn(t, 'alice', undefined, '198.51.100.1')).headers['retry-after']);
    expect(second).toBeGreaterThan(DELAY_BASE_SECONDS);
    expect(second).toBeLessThanOrEqual(2 * DELAY_BASE_SECONDS);

    // Another address is another pair: the right password works there at once.
    expect((await signIn(t, 'alice', undefined, '198.51.100.2')).status).toBe(200);
  });

  it('lets at most the free failures of a pair reach Cognito from 200 parallel wrong passwords', async () => {
    await readyUser(t, 'bob');
    t.aws.resetCalls();
    const responses = await Promise.all(Array.from({ length: 200 }, () => signIn(t, 'bob', WRONG, '198.51.100.50')));
    const statuses = new Set(responses.map((response) => response.status));
    expect([...statuses].sort()).toEqual([401, 429]);
    expect(t.aws.countCalls('AdminInitiateAuth')).toBe(FREE_FAILURES);
    expect(responses.filter((response) => response.status === 401)).toHaveLength(FREE_FAILURES);
  });

  it('lets at most the per-username ceiling reach Cognito from 200 parallel wrong passwords from 200 addresses', async () => {
    await readyUser(t, 'bella');
    t.aws.resetCalls();
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => signIn(t, 'bella', WRONG, `10.7.${i >> 8}.${i & 255}`)));
    expect(t.aws.countCalls('AdminInitiateAuth')).toBe(MAX_PER_USER);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(200 - MAX_PER_USER);
  });

  it("does not lock a victim out of a known address with an attacker's failures from others", async () => {
    await readyUser(t, 'carol');
    expect((await signIn(t, 'carol', undefined, '192.0.2.10')).status).toBe(200);
    for (let i = 0; i < MAX_PER_USER; i++) expect((await signIn(t, 'carol', WRONG, `203.0.113.${i}`)).status).toBe(401);
    for (let i = 0; i < FREE_FAILURES; i++) await signIn(t, 'carol', WRONG, '203.0.113.200');

    // The ceiling holds for addresses carol never signed in from, even with her password ...
    expect((await signIn(t, 'carol', WRONG, '203.0.113.201')).status).toBe(429);
    expect((await signIn(t, 'carol', undefined, '192.0.2.11')).status).toBe(429);
    // ... and not for the address she signs in from.
    expect((await signIn(t, 'carol', undefined, '192.0.2.10')).status).toBe(200);
  });

  it('does not block a user who signed in from an address before, after 20 failures from it for many usernames', async () => {
    await readyUser(t, 'dave');
    await readyUser(t, 'erin');
    const office = '198.51.100.77';
    expect((await signIn(t, 'dave', undefined, office)).status).toBe(200);
    for (let i = 0; i < MAX_PER_ADDRESS; i++) expect((await signIn(t, `nobody-${i}`, WRONG, office)).status).toBe(401);

    const limited = await signIn(t, 'nobody-x', WRONG, office);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(t, 'erin', undefined, office)).status).toBe(429);
    expect((await signIn(t, 'dave', undefined, office)).status).toBe(200);
    expect((await signIn(t, 'erin', undefined, '198.51.100.78')).status).toBe(200);
  });

  it('does not count an attempt Cognito did not answer', async () => {
    await readyUser(t, 'fay');
    t.aws.faults.inject({ api: 'AdminInitiateAuth', error: 'unavailable', times: 10 });
    for (let i = 0; i < 10; i++) expect((await signIn(t, 'fay', WRONG, '192.0.2.40')).status).toBe(503);
    expect((await signIn(t, 'fay', undefined, '192.0.2.40')).status).toBe(200);
  });

  it('stores no password, and pairs only as hashes', async () => {
    const failures = await query<{ subject: string }>(t, 'SELECT subject FROM sign_in_failures');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((row) => /^((user|address):[^ ]+|pair:[0-9a-f]{64})$/.test(row.subject) && !row.subject.includes(WRONG))).toBe(true);
    const known = await query<{ pair_hash: string; days: number }>(
      t,
      `SELECT pair_hash, extract(day FROM expires_at - now())::int AS days FROM sign_in_known_pairs`,
    );
    expect(known.length).toBeGreaterThan(0);
    expect(known.every((row) => /^[0-9a-f]{64}$/.test(row.pair_hash) && row.days >= 29 && row.days <= 30)).toBe(true);
  });
});

describe('the failure window', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
  });
  afterAll(async () => t?.close());

  it('counts only failures inside the window, and prunes older ones', async () => {
    await readyUser(t, 'dave');
    await query(
      t,
      `INSERT INTO sign_in_failures (subject, occurred_at) SELECT 'user:dave', now() - interval '11 minutes' FROM generate_series(1, 20)`,
    );
    await query(
      t,
      `INSERT INTO sign_in_failures (subject, occurred_at) SELECT 'user:someone-else', now() - interval '1 day' FROM generate_series(1, 5)`,
    );
    await query(t, `INSERT INTO sign_in_known_pairs (pair_hash, expires_at) VALUES ('expired', now() - interval '1 second')`);
    expect((await signIn(t, 'dave', undefined, '192.0.2.1')).status).toBe(200);

    // The first failure a replica records also clears what no window counts any more.
    expect((await signIn(t, 'dave', WRONG, '192.0.2.2')).status).toBe(401);
    const subjects = await query<{ subject: string }>(t, 'SELECT subject FROM sign_in_failures ORDER BY subject');
    expect(subjects.map((row) => row.subject.replace(/^pair:.*/, 'pair'))).toEqual(['address:192.0.2.2', 'pair', 'user:dave']);
    expect(await query(t, `SELECT 1 FROM sign_in_known_pairs WHERE pair_hash = 'expired'`)).toEqual([]);
  });
});

describe('sign-in limits across replicas', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ env: LIMITS });
    b = await startTestApp({ env: LIMITS, databaseUrl: a.config.database.url, aws: a.aws });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('failures counted by one replica delay the other', async () => {
    await readyUser(a, 'erin');
    await signIn(a, 'erin', WRONG);
    await signIn(b, 'erin', WRONG);
    await signIn(a, 'erin', WRONG);
    const limited = await signIn(b, 'erin');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});
