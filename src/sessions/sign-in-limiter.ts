import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isDomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { KeyedSerializer } from '../common/keyed-serializer.js';
import type { SessionUser } from '../users/users.repository.js';
import { SignInFailuresRepository, type AttemptSubjects, type Reservation } from './sign-in-failures.repository.js';
import { pairCountLimit, signInWait, signInWaits, type SignInLimitScope } from './sign-in-policy.js';

/** Pruning is housekeeping: once a minute per replica is plenty. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Throttles password sign-ins per (username, address) pair with growing delays, with ceilings per
 * address and per username that spare pairs which signed in before (see sign-in-policy.ts).
 * Every attempt is reserved in Postgres before Cognito is asked, so the limits hold across
 * replicas and under any burst; a reservation counts as a failure until the answer releases it.
 */
@Injectable()
export class SignInLimiter {
  private lastPrune = 0;
  /** Whole attempts, per pair. */
  private readonly pairs = new KeyedSerializer();
  /** Reservations, per username: queued here rather than on pooled connections. */
  private readonly counts = new KeyedSerializer();

  constructor(
    private readonly failures: SignInFailuresRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Runs one password check under the limits: reserves the attempt (or throws RATE_LIMITED with
   * Retry-After), asks Cognito, then records what Cognito said. Attempts of one (username, address)
   * pair run one after another in this process, so an app signing in on several connections at
   * once waits behind its own first attempt instead of being counted as a burst of failures.
   *
   * `userOf` names, from a successful outcome, the user whose session row the caller needs next:
   * the success's statement reads it too (`user` is then that row, or null without one).
   */
  async guard<T>(
    username: string,
    address: string,
    check: () => Promise<T>,
    userOf: (outcome: T) => string | undefined,
  ): Promise<{ outcome: T; user?: SessionUser | null }> {
    const subjects = subjectsOf(username, address);
    return this.pairs.run([subjects.pair], async () => {
      const reservation = await this.reserve(subjects);
      let outcome: T;
      try {
        outcome = await check();
      } catch (error) {
        if (isDomainError(error, 'INVALID_CREDENTIALS')) await this.afterFailure(subjects);
        else await this.failures.release(reservation).catch(() => undefined);
        throw error;
      }
      const days = this.config.signIn.knownPairDays;
      const whose = userOf(outcome);
      if (whose === undefined) {
        await this.failures.recordSuccess(reservation, subjects, days);
        return { outcome };
      }
      return { outcome, user: await this.failures.recordSuccessAndReadUser(reservation, subjects, days, whose) };
    });
  }

  private async reserve(subjects: AttemptSubjects): Promise<Reservation> {
    const limits = this.config.signIn;
    let heldBy: SignInLimitScope[] = [];
    const outcome = await this.counts.run([subjects.user], () =>
      this.failures.reserve(
        subjects,
        { user: limits.maxFailuresPerUser, address: limits.maxFailuresPerAddress, pair: pairCountLimit(limits) },
        limits.windowSeconds,
        (state) => {
          heldBy = signInWaits(state, limits).map((wait) => wait.scope);
          return signInWait(state, limits);
        },
      ),
    );
    if ('waitSeconds' in outcome) {
      this.metrics.signInRateLimited(heldBy);
      throw new DomainError('RATE_LIMITED', 'Too many failed sign-ins; retry later', undefined, outcome.waitSeconds);
    }
    return outcome.reservation;
  }

  /** A wrong password: the reservation stays, as the failure, and the address counts it. Now and then, forget what no window counts. */
  private async afterFailure(subjects: AttemptSubjects): Promise<void> {
    this.metrics.signInFailed();
    await this.failures.recordFailure(subjects);
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.failures.prune(this.config.signIn.windowSeconds);
  }
}

/**
 * Lowercased: a case-insensitive pool signs "Alice" in as "alice", so both must share one count.
 * The pair is stored only as a hash: the table of known pairs says who signs in from where to
 * nobody who reads it, unless they already know both.
 */
export function subjectsOf(username: string, address: string): AttemptSubjects {
  const name = username.toLowerCase();
  const pairHash = createHash('sha256').update(`${name}\n${address}`).digest('hex');
  return { user: `user:${name}`, address: `address:${address}`, pair: `pair:${pairHash}`, pairHash };
}
