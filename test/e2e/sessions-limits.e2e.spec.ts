import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { query } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

const WINDOW_SECONDS = 600;
// The test client plays a trusted load balancer on loopback: its X-Forwarded-For names the client address.
const LIMITS = {
  SIGNIN_MAX_FAILURES_PER_USER: '3',
  SIGNIN_MAX_FAILURES_PER_ADDRESS: '5',
  SIGNIN_WINDOW_SECONDS: String(WINDOW_SECONDS),
  TRUST_PROXY: '127.0.0.1',
};
const WRONG = 'Wrong-Password-1';

describe('sign-in failure limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('limits failures per username, even for the right password, with Retry-After and no call to Cognito', async () => {
    await readyUser(t, 'alice');
    for (let i = 0; i < 3; i++) expect((await signIn(t, 'alice', WRONG, `198.51.100.${i}`)).status).toBe(401);
    t.aws.resetCalls();

    const limited = await signIn(t, 'alice', undefined, '198.51.100.99');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ code: 'RATE_LIMITED', message: 'Too many failed sign-ins; retry later', requestId: expect.any(String) });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(WINDOW_SECONDS - 60);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(t.aws.calls).toEqual([]);
    // Case does not open a second count: Cognito would sign "ALICE" in as alice.
    expect((await signIn(t, 'ALICE', WRONG, '198.51.100.98')).status).toBe(429);
  });

  it('limits failures per client address, across usernames, unknown ones included', async () => {
    await readyUser(t, 'bob');
    const address = '203.0.113.7';
    for (const username of ['nobody-1', 'nobody-2', 'nobody-3', 'nobody-4', 'bob']) {
      expect((await signIn(t, username, WRONG, address)).status).toBe(401);
    }
    const limited = await signIn(t, 'bob', undefined, address);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(t, 'bob', undefined, '203.0.113.8')).status).toBe(200);
  });

  it('forgets a username’s typos once its password is right', async () => {
    await readyUser(t, 'carol');
    for (let i = 0; i < 2; i++) await signIn(t, 'carol', WRONG, '192.0.2.1');
    expect((await signIn(t, 'carol', undefined, '192.0.2.1')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await signIn(t, 'carol', WRONG, '192.0.2.2')).status).toBe(401);
    expect((await signIn(t, 'carol', undefined, '192.0.2.2')).status).toBe(200);
  });

  it('stores no password', async () => {
    const rows = await query<{ subject: string }>(t, 'SELECT subject FROM sign_in_failures');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => /^(user|address):[^ ]+$/.test(row.subject) && !row.subject.includes(WRONG))).toBe(true);
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
    await query(t, `INSERT INTO sign_in_failures (subject, occurred_at) SELECT 'user:dave', now() - interval '11 minutes' FROM generate_series(1, 5)`);
    await query(t, `INSERT INTO sign_in_failures (subject, occurred_at) SELECT 'user:someone-else', now() - interval '1 day' FROM generate_series(1, 5)`);
    expect((await signIn(t, 'dave')).status).toBe(200);

    // The first failure a replica records also clears what no window counts any more.
    expect((await signIn(t, 'dave', WRONG)).status).toBe(401);
    const subjects = await query<{ subject: string }>(t, 'SELECT subject FROM sign_in_failures ORDER BY subject');
    expect(subjects.map((row) => row.subject)).toEqual(['address:127.0.0.1', 'user:dave']);
  });
});

describe('sign-in failure limits across replicas', () => {
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

  it('failures counted by one replica limit the other', async () => {
    await readyUser(a, 'erin');
    await signIn(a, 'erin', WRONG);
    await signIn(b, 'erin', WRONG);
    await signIn(a, 'erin', WRONG);
    const limited = await signIn(b, 'erin');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});

describe('client addresses without a trusted proxy', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('ignores a spoofed X-Forwarded-For, so rotating it does not escape the per-address limit', async () => {
    t = await startTestApp({ env: { ...LIMITS, TRUST_PROXY: 'false', SIGNIN_MAX_FAILURES_PER_USER: '100' } });
    await readyUser(t, 'spoof');
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await signIn(t, 'spoof', WRONG, `203.0.113.${attempt}`)).status).toBe(401);
    }
    const blocked = await signIn(t, 'spoof', WRONG, '198.51.100.77');
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });
});
