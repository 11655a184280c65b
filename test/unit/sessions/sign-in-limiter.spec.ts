import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/app-config.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import type { FailureCount, SignInFailuresRepository } from '../../../src/sessions/sign-in-failures.repository.js';
import { SignInLimiter } from '../../../src/sessions/sign-in-limiter.js';

/** Failures as the repository would count them, per subject; records what the limiter writes. */
class StubFailures {
  readonly recorded: string[][] = [];
  readonly cleared: string[] = [];
  pruned = 0;
  constructor(private readonly counts: Record<string, Omit<FailureCount, 'subject'>> = {}) {}

  async recent(subjects: Array<{ subject: string; limit: number }>): Promise<FailureCount[]> {
    return subjects.map(({ subject }) => ({ subject, ...(this.counts[subject] ?? { failures: 0, retryAfterSeconds: 1 }) }));
  }
  async record(subjects: string[]) {
    this.recorded.push(subjects);
  }
  async clear(subject: string) {
    this.cleared.push(subject);
  }
  async pruneOlderThan() {
    this.pruned++;
  }
}

const config = loadConfig({ SIGNIN_MAX_FAILURES_PER_USER: '3', SIGNIN_MAX_FAILURES_PER_ADDRESS: '10' });
const limiterWith = (failures: StubFailures) => new SignInLimiter(failures as unknown as SignInFailuresRepository, config, new Metrics());

describe('SignInLimiter', () => {
  it('lets an attempt through below both limits and reports the subjects it counts', async () => {
    const attempt = await limiterWith(new StubFailures({ 'user:alice': { failures: 2, retryAfterSeconds: 5 } })).check('Alice', '192.0.2.1');
    expect(attempt).toEqual({ userSubject: 'user:alice', addressSubject: 'address:192.0.2.1', userHadFailures: true });
  });

  it.each([
    ['the username', { 'user:alice': { failures: 3, retryAfterSeconds: 40 } }, 40],
    ['the address', { 'address:192.0.2.1': { failures: 10, retryAfterSeconds: 7 } }, 7],
    ['both (the later of the two)', { 'user:alice': { failures: 3, retryAfterSeconds: 40 }, 'address:192.0.2.1': { failures: 10, retryAfterSeconds: 90 } }, 90],
  ])('refuses with RATE_LIMITED when %s used up its failures', async (_, counts, retryAfter) => {
    await expect(limiterWith(new StubFailures(counts)).check('alice', '192.0.2.1')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: retryAfter,
    });
  });

  it('records a failure against both subjects and prunes at most once a minute', async () => {
    const failures = new StubFailures();
    const limiter = limiterWith(failures);
    const attempt = await limiter.check('alice', '192.0.2.1');
    await limiter.recordFailure(attempt);
    await limiter.recordFailure(attempt);
    expect(failures.recorded).toEqual([
      ['user:alice', 'address:192.0.2.1'],
      ['user:alice', 'address:192.0.2.1'],
    ]);
    expect(failures.pruned).toBe(1);
  });

  it("clears the username's failures on success only when it had some", async () => {
    const failures = new StubFailures({ 'user:bob': { failures: 1, retryAfterSeconds: 1 } });
    const limiter = limiterWith(failures);
    await limiter.recordSuccess(await limiter.check('alice', '192.0.2.1'));
    await limiter.recordSuccess(await limiter.check('bob', '192.0.2.1'));
    expect(failures.cleared).toEqual(['user:bob']);
  });
});
