import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OperationsRepository } from '../../src/operations/operations.repository.js';
import { query } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';
import { credentials, idTokenOf, signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

/** Calls per user of one API, from the fake's log. */
function callsPerUser(t: TestApp, api: string, userOf: (input: Record<string, unknown>) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of t.aws.calls.filter((c) => c.api === api)) {
    const user = userOf(call.input as Record<string, unknown>);
    counts.set(user, (counts.get(user) ?? 0) + 1);
  }
  return counts;
}

describe('concurrent first sign-ins in one process', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.aws.resetCalls());

  it('20 at once for one user: one mapping, one GetId, one AttachPolicy, all 200', async () => {
    await readyUser(t, 'alice');
    t.aws.resetCalls();
    const responses = await Promise.all(Array.from({ length: 20 }, () => signIn(t, 'alice')));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((response) => response.body.identityId)).size).toBe(1);
    expect(t.aws.countCalls('GetId')).toBe(1);
    expect(t.aws.countCalls('AttachPolicy')).toBe(1);
    // The credential cache makes concurrent misses of one user share one call too.
    expect(t.aws.countCalls('GetCredentialsForIdentity')).toBe(1);
  });

  it('20 at once for one user through GET /v1/sessions/credentials', async () => {
    await readyUser(t, 'bob');
    const token = idTokenOf(t.aws, 'bob');
    t.aws.resetCalls();
    const responses = await Promise.all(Array.from({ length: 20 }, () => credentials(t, token)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(t.aws.countCalls('GetId')).toBe(1);
    expect(t.aws.countCalls('AttachPolicy')).toBe(1);
  });

  it('200 at once for 200 users: exactly one GetId and one AttachPolicy per user', async () => {
    const usernames = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    for (let i = 0; i < usernames.length; i += 25) await Promise.all(usernames.slice(i, i + 25).map((username) => readyUser(t, username)));
    t.aws.resetCalls();

    const responses = await Promise.all(usernames.map((username) => signIn(t, username)));
    expect(responses.filter((response) => response.status !== 200).map((response) => response.body)).toEqual([]);
    const policyOwner = (input: Record<string, unknown>) => String(input.policyName).replace(/^iotp_/, '');
    const attaches = callsPerUser(t, 'AttachPolicy', policyOwner);
    expect(attaches.size).toBe(200);
    expect([...attaches.values()].every((count) => count === 1)).toBe(true);
    expect(t.aws.countCalls('GetId')).toBe(200);
    expect(new Set(responses.map((response) => response.body.identityId)).size).toBe(200);
    // GetId is paced at its quota (25/s), so 200 first sign-ins take eight seconds at best; a loaded machine takes several times that.
  }, 120_000);
});

describe('first sign-ins across replicas', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ databaseUrl: a.config.database.url, aws: a.aws });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });
  beforeEach(() => a.aws.resetCalls());

  it('two replicas signing one user in at once: one GetId, one AttachPolicy, no error', async () => {
    await readyUser(a, 'carol');
    a.aws.resetCalls();
    // Slow AWS widens the window in which the replicas overlap.
    a.aws.latencyMs = 20;
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => signIn(i % 2 === 0 ? a : b, 'carol'))).finally(() => {
      a.aws.latencyMs = 0;
    });
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((response) => response.body.identityId)).size).toBe(1);
    expect(a.aws.countCalls('GetId')).toBe(1);
    expect(a.aws.countCalls('AttachPolicy')).toBe(1);
  });

  it('a sign-in finding the user held by another replica waits for its result instead of failing', async () => {
    await readyUser(a, 'dave');
    await signIn(a, 'dave');
    const { identityId } = (await admin(a).get('/v1/users/dave')).body;
    await query(a, 'UPDATE users SET policy_attached_at = NULL WHERE username = $1', ['dave']);
    // Another replica holds the user (as its link-identity operation would) ...
    const operations = a.app.get(OperationsRepository);
    const holder = await operations.start('link-identity', 'user:dave', { username: 'dave' }, 60_000);
    a.aws.resetCalls();

    const pending = signIn(b, 'dave').then((response) => response);
    await sleep(300);
    // ... and finishes: the policy is attached and recorded.
    await a.aws.iot.attachPolicy('iotp_dave', identityId);
    await query(a, 'UPDATE users SET policy_attached_at = now() WHERE username = $1', ['dave']);
    await operations.finish(holder, 'COMPLETED');

    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.body.identityId).toBe(identityId);
    // Only the holder attached.
    expect(a.aws.countCalls('AttachPolicy')).toBe(1);
  });

  it('takes over when the holder gives up, and refuses when the holder disabled the user', async () => {
    await readyUser(a, 'erin');
    const operations = a.app.get(OperationsRepository);
    let holder = await operations.start('link-identity', 'user:erin', { username: 'erin' }, 60_000);
    const takeover = signIn(b, 'erin').then((response) => response);
    await sleep(300);
    await operations.finish(holder, 'UNDONE', { code: 'AWS_THROTTLED', message: 'gave up' });
    expect((await takeover).status).toBe(200);
    expect((await admin(a).get('/v1/users/erin')).body.policyAttached).toBe(true);

    await query(a, 'UPDATE users SET policy_attached_at = NULL WHERE username = $1', ['erin']);
    holder = await operations.start('disable-user', 'user:erin', { username: 'erin' }, 60_000);
    const refused = signIn(b, 'erin').then((response) => response);
    await sleep(300);
    await query(a, "UPDATE users SET status = 'DISABLED' WHERE username = $1", ['erin']);
    await operations.finish(holder, 'COMPLETED');
    expect((await refused).status).toBe(403);
  });
});
