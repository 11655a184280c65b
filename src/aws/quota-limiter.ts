import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/*
 * Client-side rate limits, one token bucket per AWS API.
 *
 * AWS quotas are per account and region, shared by every replica of this service. Replicas do
 * not talk to each other, so each one takes an equal share: quota / REPLICAS calls per second.
 * With N replicas configured and at most N running, the account stays under the quota without
 * coordination; running more replicas than configured would exceed it, so raise REPLICAS first.
 *
 * Each bucket holds one second's worth of calls (at least one) and refills continuously. A call
 * that finds the bucket empty waits in FIFO order; it is refused with AWS_THROTTLED only when more
 * than AWS_QUEUE_LIMIT calls already wait for the same API, so a burst is smoothed, not failed.
 * The limiter paces call starts, not concurrency: slow calls do not hold tokens.
 */

/** AWS's published default quotas, calls per second. AWS_QUOTAS overrides them per API. */
export const DEFAULT_QUOTAS: Readonly<Record<string, number>> = Object.freeze({
  AttachPolicy: 15,
  DetachPolicy: 15,
  AttachThingPrincipal: 15,
  DetachThingPrincipal: 15,
  CreateThing: 15,
  DeleteThing: 15,
  CreateCertificateFromCsr: 15,
  CreateKeysAndCertificate: 15,
  CreatePolicy: 10,
  DeletePolicy: 10,
  DeletePolicyVersion: 10,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  ListThings: 10,
  ListPolicies: 10,
  ListCertificates: 10,
  ListTargetsForPolicy: 10,
  ListAttachedPolicies: 10,
  ListThingPrincipals: 10,
  ListPolicyVersions: 10,
  GetPolicy: 10,
  DescribeEndpoint: 10,
  AdminCreateUser: 50,
  AdminGetUser: 120,
  AdminInitiateAuth: 120,
  AdminRespondToAuthChallenge: 120,
  AdminDisableUser: 25,
  AdminEnableUser: 25,
  AdminDeleteUser: 25,
  AdminUserGlobalSignOut: 25,
  DescribeUserPool: 15,
  GetId: 25,
  GetCredentialsForIdentity: 200,
  DeleteIdentities: 10,
});

/** An API missing from the table gets the most common control-plane default rather than no limit. */
export const FALLBACK_QUOTA = 10;

interface Waiter {
  resolve: () => void;
}

class TokenBucket {
  private tokens: number;
  private updatedAt = Date.now();
  private readonly waiting: Waiter[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    readonly ratePerSecond: number,
    private readonly capacity = Math.max(1, ratePerSecond),
  ) {
    this.tokens = this.capacity;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Takes a token when nobody is waiting ahead and one is available. */
  tryTake(): boolean {
    this.refill();
    if (this.waiting.length > 0 || this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Resolves when the caller may start, FIFO behind everyone already waiting. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push({ resolve });
      this.schedule();
    });
  }

  private refill(): void {
    const now = Date.now();
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.updatedAt = now;
  }

  private drain(): void {
    this.timer = undefined;
    this.refill();
    while (this.waiting.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.waiting.shift()!.resolve();
    }
    if (this.waiting.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
    this.timer = setTimeout(() => this.drain(), waitMs);
    // A queue of pending AWS calls must not keep a shutting-down process alive.
    this.timer.unref();
  }
}

@Injectable()
export class QuotaLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** This replica's share of the API's quota, calls per second. */
  rateOf(api: string): number {
    const quota = this.config.aws.quotaOverrides[api] ?? DEFAULT_QUOTAS[api] ?? FALLBACK_QUOTA;
    return quota / this.config.aws.replicas;
  }

  async run<T>(api: string, call: () => Promise<T>): Promise<T> {
    const bucket = this.bucketFor(api);
    if (bucket.tryTake()) return call();
    if (bucket.queued >= this.config.aws.queueLimit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((bucket.queued + 1) / bucket.ratePerSecond));
      throw new DomainError(
        'AWS_THROTTLED',
        `Too many ${api} calls are waiting for AWS capacity; retry later`,
        { api, queued: bucket.queued, ratePerSecond: bucket.ratePerSecond },
        retryAfterSeconds,
      );
    }
    await bucket.wait();
    return call();
  }

  private bucketFor(api: string): TokenBucket {
    let bucket = this.buckets.get(api);
    if (!bucket) {
      bucket = new TokenBucket(this.rateOf(api));
      this.buckets.set(api, bucket);
    }
    return bucket;
  }
}
