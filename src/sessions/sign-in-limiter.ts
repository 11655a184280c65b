import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { SignInFailuresRepository } from './sign-in-failures.repository.js';

/** One password sign-in, as the limiter counts it. */
export interface SignInAttempt {
  userSubject: string;
  addressSubject: string;
  /** Whether the username had failures in the window: only then does a success clear them. */
  userHadFailures: boolean;
}

/** Pruning is housekeeping: once a minute per replica is plenty. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Limits failed password sign-ins per username and per client address over a sliding window,
 * counted in Postgres so the limits hold across replicas. The check runs before Cognito is asked,
 * so a limited caller costs one indexed query and no AWS call. Concurrent attempts that pass the
 * check together are all counted afterwards: a burst can overshoot a limit by its own size, once.
 */
@Injectable()
export class SignInLimiter {
  private lastPrune = 0;

  constructor(
    private readonly failures: SignInFailuresRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Throws RATE_LIMITED (with Retry-After) when the username or the address has used up its failures. */
  async check(username: string, address: string): Promise<SignInAttempt> {
    const { maxFailuresPerUser, maxFailuresPerAddress, windowSeconds } = this.config.signIn;
    // Lowercased: a case-insensitive pool signs "Alice" in as "alice", so both must share one count.
    const userSubject = `user:${username.toLowerCase()}`;
    const addressSubject = `address:${address}`;
    const counts = await this.failures.recent(
      [
        { subject: userSubject, limit: maxFailuresPerUser },
        { subject: addressSubject, limit: maxFailuresPerAddress },
      ],
      windowSeconds,
    );
    const limitOf = (subject: string) => (subject === userSubject ? maxFailuresPerUser : maxFailuresPerAddress);
    const exhausted = counts.filter((count) => count.failures >= limitOf(count.subject));
    if (exhausted.length > 0) {
      const retryAfter = Math.max(...exhausted.map((count) => count.retryAfterSeconds));
      this.metrics.signInRateLimited(exhausted.map((count) => (count.subject === userSubject ? 'user' : 'address')));
      throw new DomainError('RATE_LIMITED', 'Too many failed sign-ins; retry later', undefined, retryAfter);
    }
    const userHadFailures = counts.some((count) => count.subject === userSubject && count.failures > 0);
    return { userSubject, addressSubject, userHadFailures };
  }

  async recordFailure(attempt: SignInAttempt): Promise<void> {
    this.metrics.signInFailed();
    await this.failures.record([attempt.userSubject, attempt.addressSubject]);
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.failures.pruneOlderThan(this.config.signIn.windowSeconds);
    }
  }

  /** The right password ends a run of typos for the username; the address keeps its count. */
  async recordSuccess(attempt: SignInAttempt): Promise<void> {
    if (attempt.userHadFailures) await this.failures.clear(attempt.userSubject);
  }
}
