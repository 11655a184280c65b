import type { AwsCredentials } from '../aws/identity-pool.port.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { Metrics } from '../metrics/metrics.js';

/** What a cache entry holds: the identity and its temporary credentials. */
export interface VendedCredentials {
  identityId: string;
  credentials: AwsCredentials;
  /** The user row's `tokensValidAfter` when these were vended: older ID tokens get none of them. */
  tokensValidAfter?: Date | null;
}

/** Cached credentials are handed out until this long before they expire, never closer to expiry. */
export const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

export interface CredentialCacheOptions {
  enabled: boolean;
  maxEntries: number;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  clock?: () => number;
}

/** Whose credentials. The username keys the entry; the Cognito sub must match (a recreated username is another person). */
export interface CredentialOwner {
  username: string;
  sub: string;
  /**
   * Set when the caller has just read the user's row: the identity it names with the policy
   * attached, or null when there is none. An entry then answers only for that identity, so after a
   * disable and enable on another replica (policy detached) the next sign-in attaches it again.
   */
  identityId?: string | null;
  /**
   * When the caller's ID token was issued (`iat`, seconds since the epoch), for a token the app
   * presents: one issued before the user's last disable is refused whatever the cache holds, as the
   * identity pool's server-side token check would refuse it.
   */
  issuedAt?: number;
}

interface Entry {
  sub: string;
  vended: VendedCredentials;
}

interface Flight {
  sub: string;
  promise: Promise<VendedCredentials>;
}

/**
 * Vended AWS credentials per user, in this process's memory only (never persisted), reused until
 * EXPIRY_MARGIN_MS before they expire. Bounded: the least recently used entry goes first.
 *
 * Concurrent misses for one user share one load (one GetCredentialsForIdentity). `forget` drops
 * a user's entry and disowns a load in flight, whose result is then returned to its callers but
 * not kept: the load may have read the user's row before a disable or delete changed it.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly clock: () => number;

  constructor(
    private readonly options: CredentialCacheOptions,
    private readonly metrics?: Metrics,
  ) {
    this.clock = options.clock ?? Date.now;
    metrics?.observeCredentialCache(() => this.entries.size);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The owner's cached credentials, or those `load` vends (which must check that the user may have them). */
  async get(owner: CredentialOwner, load: () => Promise<VendedCredentials>): Promise<VendedCredentials> {
    const vended = await this.lookup(owner, load);
    // Also for a load in flight that another caller's newer token started.
    refuseTokenIssuedBefore(vended.tokensValidAfter, owner.issuedAt);
    return vended;
  }

  private lookup(owner: CredentialOwner, load: () => Promise<VendedCredentials>): Promise<VendedCredentials> {
    if (!this.options.enabled) {
      this.metrics?.credentialCache(false);
      return load();
    }
    const entry = this.entries.get(owner.username);
    const sameIdentity = owner.identityId === undefined || entry?.vended.identityId === owner.identityId;
    if (entry && entry.sub === owner.sub && sameIdentity && this.fresh(entry.vended)) {
      // Re-inserted, so Map order is least recently used first.
      this.entries.delete(owner.username);
      this.entries.set(owner.username, entry);
      this.metrics?.credentialCache(true);
      return Promise.resolve(entry.vended);
    }
    this.metrics?.credentialCache(false);
    const flight = this.flights.get(owner.username);
    if (flight && flight.sub === owner.sub) return flight.promise;
    return this.fill(owner, load);
  }

  /** After a disable or delete: the user's next credentials come from a fresh load, which checks the row. */
  forget(username: string): void {
    this.entries.delete(username);
    this.flights.delete(username);
  }

  private async fill(owner: CredentialOwner, load: () => Promise<VendedCredentials>): Promise<VendedCredentials> {
    const flight: Flight = { sub: owner.sub, promise: load() };
    this.flights.set(owner.username, flight);
    try {
      const vended = await flight.promise;
      if (this.flights.get(owner.username) === flight && this.fresh(vended)) this.store(owner, vended);
      return vended;
    } finally {
      if (this.flights.get(owner.username) === flight) this.flights.delete(owner.username);
    }
  }

  private store(owner: CredentialOwner, vended: VendedCredentials): void {
    this.entries.delete(owner.username);
    this.entries.set(owner.username, { sub: owner.sub, vended });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  private fresh(vended: VendedCredentials): boolean {
    return vended.credentials.expiration.getTime() - EXPIRY_MARGIN_MS > this.clock();
  }
}

/**
 * 401 SIGN_IN_AGAIN for an ID token issued before the user's last disable (and its global sign-out),
 * which stays valid to the verifier until it expires. Loads call this before vending; the cache
 * again before handing out what it holds.
 */
export function refuseTokenIssuedBefore(tokensValidAfter: Date | null | undefined, issuedAt: number | undefined): void {
  if (!tokensValidAfter || issuedAt === undefined) return;
  if (issuedAt * 1000 < tokensValidAfter.getTime()) {
    throw new DomainError('UNAUTHENTICATED', 'This ID token was issued before the user was last disabled or signed out: sign in again', {
      reason: 'SIGN_IN_AGAIN',
    });
  }
}
