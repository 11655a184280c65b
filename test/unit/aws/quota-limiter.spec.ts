import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import { loadConfig } from '../../../src/config/app-config.js';
import { Metrics } from '../../../src/metrics/metrics.js';

function limiter(env: Record<string, string> = {}): QuotaLimiter {
  return new QuotaLimiter(loadConfig(env));
}

/** Starts n calls of api and records the order in which they were let through. */
function startCalls(subject: QuotaLimiter, api: string, n: number) {
  const started: number[] = [];
  const results = Array.from({ length: n }, (_, i) =>
    subject.run(api, async () => {
      started.push(i);
      return i;
    }),
  );
  return { started, results };
}

describe('QuotaLimiter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("uses AWS's current default quotas, overrides, and splits them across replicas", () => {
    expect(limiter().rateOf('CreateThing')).toBe(100);
    expect(limiter().rateOf('AttachThingPrincipal')).toBe(100);
    expect(limiter().rateOf('ListAttachedPolicies')).toBe(15);
    expect(limiter().rateOf('AttachPolicy')).toBe(15);
    expect(limiter().rateOf('CreatePolicy')).toBe(10);
    expect(limiter().rateOf('GetCredentialsForIdentity')).toBe(200);
    expect(limiter().rateOf('SomeUnlistedApi')).toBe(10);
    expect(limiter({ AWS_QUOTAS: 'CreateThing=50' }).rateOf('CreateThing')).toBe(50);
    const shared = limiter({ AWS_QUOTAS: 'CreateThing=50', REPLICAS: '4' });
    expect(shared.rateOf('CreateThing')).toBe(12.5);
    expect(shared.rateOf('AdminCreateUser')).toBe(12.5);
  });

  it("gives Cognito user-pool operations their category's rate, overridable by category name", () => {
    expect(limiter().rateOf('AdminInitiateAuth')).toBe(120);
    expect(limiter().rateOf('AdminRespondToAuthChallenge')).toBe(30);
    expect(limiter().rateOf('AdminDisableUser')).toBe(25);
    expect(limiter().rateOf('AdminUserGlobalSignOut')).toBe(25);
    const raised = limiter({ AWS_QUOTAS: 'UserUpdate=40' });
    expect(['AdminDisableUser', 'AdminEnableUser', 'AdminDeleteUser', 'AdminUserGlobalSignOut'].map((api) => raised.rateOf(api))).toEqual([
      40, 40, 40, 40,
    ]);
    expect(raised.rateOf('AdminGetUser')).toBe(120);
  });

  it('refuses an override on one operation of a Cognito category, naming the category to set', () => {
    expect(() => limiter({ AWS_QUOTAS: 'AdminDeleteUser=50' })).toThrow(/AdminDeleteUser shares Cognito's UserUpdate quota.*UserUpdate=/);
  });

  it('bulk disables, sign-outs and deletes together stay under the UserUpdate rate', async () => {
    const subject = limiter();
    const disables = startCalls(subject, 'AdminDisableUser', 20);
    const signOuts = startCalls(subject, 'AdminUserGlobalSignOut', 20);
    const deletes = startCalls(subject, 'AdminDeleteUser', 20);
    const startedCount = () => disables.started.length + signOuts.started.length + deletes.started.length;
    await vi.advanceTimersByTimeAsync(0);
    // One bucket of 25 for the three operations, not 25 each.
    expect(startedCount()).toBe(25);
    await vi.advanceTimersByTimeAsync(1000);
    expect(startedCount()).toBeLessThanOrEqual(50);
    await vi.advanceTimersByTimeAsync(1000);
    expect(startedCount()).toBe(60);
  });

  it('lets a burst of one second through, then paces the rest at the rate, in FIFO order', async () => {
    const subject = limiter();
    const { started, results } = startCalls(subject, 'AttachPolicy', 30);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(15);

    await vi.advanceTimersByTimeAsync(500);
    // 15 per second: about 7.5 more in half a second, never more than the refill allows.
    expect(started.length).toBeGreaterThanOrEqual(21);
    expect(started.length).toBeLessThanOrEqual(23);

    await vi.advanceTimersByTimeAsync(1000);
    expect(await Promise.all(results)).toEqual([...Array(30).keys()]);
    expect(started).toEqual([...Array(30).keys()]);
  });

  it('applies overrides and replica shares to the pacing', async () => {
    const subject = limiter({ AWS_QUOTAS: 'CreateThing=40', REPLICAS: '2' });
    const { started } = startCalls(subject, 'CreateThing', 60);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(20);
    await vi.advanceTimersByTimeAsync(1500);
    expect(started.length).toBeGreaterThanOrEqual(49);
    expect(started.length).toBeLessThanOrEqual(51);
  });

  it('keeps separate buckets per API', async () => {
    const subject = limiter();
    const things = startCalls(subject, 'AttachPolicy', 20);
    const policies = startCalls(subject, 'CreatePolicy', 10);
    await vi.advanceTimersByTimeAsync(0);
    expect(things.started).toHaveLength(15);
    expect(policies.started).toHaveLength(10);
  });

  it('refuses with AWS_THROTTLED only when more than AWS_QUEUE_LIMIT calls wait', async () => {
    const subject = limiter({ AWS_QUEUE_LIMIT: '3' });
    const { started, results } = startCalls(subject, 'CreatePolicy', 13);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(10);

    const refused = await subject.run('CreatePolicy', async () => 'never').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'AWS_THROTTLED', details: { api: 'CreatePolicy', queued: 3 } });
    expect((refused as DomainError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

    await vi.advanceTimersByTimeAsync(1000);
    expect(await Promise.all(results)).toHaveLength(13);
  });

  it('with AWS_QUEUE_LIMIT=0 never queues', async () => {
    const subject = limiter({ AWS_QUEUE_LIMIT: '0', AWS_QUOTAS: 'DeleteIdentities=1' });
    await expect(subject.run('DeleteIdentities', async () => 1)).resolves.toBe(1);
    await expect(subject.run('DeleteIdentities', async () => 2)).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
  });

  it('passes a failing call through without stalling the queue', async () => {
    const subject = limiter({ AWS_QUOTAS: 'GetId=1' });
    const first = subject.run('GetId', async () => Promise.reject(new Error('boom')));
    const second = subject.run('GetId', async () => 'ok');
    await expect(first).rejects.toThrow('boom');
    await vi.advanceTimersByTimeAsync(1000);
    await expect(second).resolves.toBe('ok');
  });

  it('does not keep the process alive while calls wait', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const subject = limiter({ AWS_QUOTAS: 'GetId=1' });
    startCalls(subject, 'GetId', 2);
    await vi.advanceTimersByTimeAsync(0);
    const timer = spy.mock.results.at(-1)?.value as { hasRef(): boolean };
    expect(timer.hasRef()).toBe(false);
    spy.mockRestore();
  });
});

describe('QuotaLimiter metrics', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts queue waits and refusals by API', async () => {
    const metrics = new Metrics();
    const subject = new QuotaLimiter(loadConfig({ AWS_QUOTAS: 'CreatePolicy=1', AWS_QUEUE_LIMIT: '1' }), metrics);
    const first = subject.run('CreatePolicy', async () => 'first');
    const waiting = subject.run('CreatePolicy', async () => 'second');
    await expect(subject.run('CreatePolicy', async () => 'third')).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await Promise.all([first, waiting])).toEqual(['first', 'second']);
    const text = await metrics.registry.metrics();
    expect(text).toContain('aws_quota_refusals_total{api="CreatePolicy"} 1');
    expect(text).toContain('aws_quota_wait_seconds_count{api="CreatePolicy"} 1');
    expect(text).toContain('aws_call_duration_seconds_count{api="CreatePolicy",outcome="ok"} 2');
  });
});
