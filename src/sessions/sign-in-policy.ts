import type { AppConfig } from '../config/app-config.js';

export type SignInLimits = AppConfig['signIn'];

/** Which limit holds an attempt back: the pair's delay, the address's or the username's ceiling. */
export type SignInLimitScope = 'pair' | 'address' | 'user';

/** Failures of one subject inside the window, as the database counted them (times are the database's). */
export interface SubjectFailures {
  /** Counted up to the subject's limit only: enough to decide. */
  failures: number;
  /** The newest counted failure (ms since the epoch); undefined without failures. */
  newestAt?: number;
  /** The oldest counted failure (ms since the epoch); undefined without failures. */
  oldestAt?: number;
}

/** What one decision looks at: the pair's, the username's and the address's failures, and whether the pair signed in before. */
export interface SignInState {
  now: number;
  pair: SubjectFailures;
  user: SubjectFailures;
  address: SubjectFailures;
  /** This username signed in successfully from this address before (remembered, not expired). */
  knownPair: boolean;
}

/**
 * Along OWASP's Authentication Cheat Sheet ("Login Throttling", "Account Lockout"): throttle the
 * (username, address) pair with growing delays instead of locking the account, and keep ceilings
 * per address and per username that an attacker cannot turn against a user who has signed in
 * from that address before. Pure: the repository supplies the counts and applies the answer.
 *
 * Returns the seconds the caller must wait, or undefined when the attempt may go to Cognito.
 */
export function signInWait(state: SignInState, limits: SignInLimits): number | undefined {
  const waits = signInWaits(state, limits);
  if (waits.length === 0) return undefined;
  return Math.max(1, Math.ceil(Math.max(...waits.map((wait) => wait.ms)) / 1000));
}

/** The limits that hold the attempt back, each with how long (ms) it still does; empty when the attempt may go ahead. */
export function signInWaits(state: SignInState, limits: SignInLimits): Array<{ scope: SignInLimitScope; ms: number }> {
  const waits: Array<{ scope: SignInLimitScope; ms: number }> = [];
  const { pair } = state;
  if (pair.failures >= limits.freeFailuresPerPair && pair.newestAt !== undefined) {
    const delay = pairDelaySeconds(pair.failures, limits);
    const until = pair.newestAt + delay * 1000;
    if (until > state.now) waits.push({ scope: 'pair', ms: until - state.now });
  }
  if (!state.knownPair) {
    for (const [scope, counted, limit] of [
      ['address', state.address, limits.maxFailuresPerAddress],
      ['user', state.user, limits.maxFailuresPerUser],
    ] as const) {
      if (counted.failures >= limit && counted.oldestAt !== undefined) {
        waits.push({ scope, ms: counted.oldestAt + limits.windowSeconds * 1000 - state.now });
      }
    }
  }
  return waits;
}

/** After the free failures: base, 2 × base, 4 × base, ... up to the maximum. */
export function pairDelaySeconds(failures: number, limits: SignInLimits): number {
  const doublings = Math.max(0, failures - limits.freeFailuresPerPair);
  return Math.min(limits.delayMaxSeconds, limits.delayBaseSeconds * 2 ** Math.min(doublings, 30));
}

/** How many of a pair's failures a decision needs to see: the free ones and enough doublings to reach the maximum delay. */
export function pairCountLimit(limits: SignInLimits): number {
  return limits.freeFailuresPerPair + Math.ceil(Math.log2(Math.max(1, limits.delayMaxSeconds / limits.delayBaseSeconds))) + 1;
}
