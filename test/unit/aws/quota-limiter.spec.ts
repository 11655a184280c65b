import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import { loadConfig } from '../../../src/config/app-config.js';

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

  it('uses AWS default quotas, overrides, and splits them across replicas', () => {
    expect(limiter().rateOf('CreateThing')).toBe(15);
    expect(limiter().rateOf('CreatePolicy')).toBe(10);
    expect(limiter().rateOf('AdminInitiateAuth')).toBe(120);
    expect(limiter().rateOf('GetCredentialsForIdentity')).toBe(200);
    expect(limiter().rateOf('SomeUnlistedApi')).toBe(10);
    expect(limiter({ AWS_QUOTAS: 'CreateThing=50' }).rateOf('CreateThing')).toBe(50);
    const shared = limiter({ AWS_QUOTAS: 'CreateThing=50', REPLICAS: '4' });
    expect(shared.rateOf('CreateThing')).toBe(12.5);
    expect(shared.rateOf('AdminCreateUser')).toBe(12.5);
  });

  it('lets a burst of one second through, then paces the rest at the rate, in FIFO order', async () => {
    const subject = limiter();
    const { started, results } = startCalls(subject, 'CreateThing', 30);
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
    const things = startCalls(subject, 'CreateThing', 20);
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
