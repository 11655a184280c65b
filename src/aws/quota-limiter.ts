import { Inject, Injectable, Optional } from '@nestjs/common';
import { DomainError, isDomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';

/*
 * Client-side rate limits, one token bucket per AWS quota.
 *
 * AWS quotas are per account and region, shared by every replica of this service. Replicas do
 * not talk to each other, so each one takes an equal share: quota / REPLICAS calls per second.
 * With N replicas configured and at most N running, the account stays under the quota without
 * coordination; running more replicas than configured would exceed it, so raise REPLICAS first.
 *
 * A quota is per API for AWS IoT and the Cognito identity pool, and per category for Cognito user
 * pools: "operation quotas are defined as the maximum number of requests per second (RPS) for all
 * operations within a category" (Amazon Cognito developer guide, "Quotas in Amazon Cognito"). So
 * AdminDisableUser, AdminUserGlobalSignOut and AdminDeleteUser draw on one UserUpdate bucket.
 *
 * Each bucket holds one second's worth of calls (at least one) and refills continuously. A call
 * that finds the bucket empty waits in FIFO order; it is refused with AWS_THROTTLED only when more
 * than AWS_QUEUE_LIMIT calls already wait for the same quota, so a burst is smoothed, not failed.
 * The limiter paces call starts, not concurrency: slow calls do not hold tokens.
 */

/**
 * The Cognito user-pool category of each operation the service calls ("Amazon Cognito user pools
 * API operation categories and request rate quotas"). AdminRespondToAuthChallenge is called only
 * with NEW_PASSWORD_REQUIRED here, and such a response "counts toward the UserAccountRecovery
 * category" (footnote 1 of that table).
 */
export const COGNITO_CATEGORIES: Readonly<Record<string, string>> = Object.freeze({
  AdminInitiateAuth: 'UserAuthentication',
  AdminRespondToAuthChallenge: 'UserAccountRecovery',
  AdminCreateUser: 'UserCreation',
  AdminGetUser: 'UserRead',
  AdminListGroupsForUser: 'UserResourceRead',
  ListUsers: 'UserList',
  AdminDisableUser: 'UserUpdate',
  AdminEnableUser: 'UserUpdate',
  AdminDeleteUser: 'UserUpdate',
  AdminUserGlobalSignOut: 'UserUpdate',
  DescribeUserPool: 'UserPoolRead',
  ListUserPools: 'UserPoolRead',
  CreateUserPool: 'UserPoolUpdate',
  ListUserPoolClients: 'UserPoolClientRead',
  CreateUserPoolClient: 'UserPoolClientUpdate',
});

/** The quota an API's calls count against: its Cognito category, or the API itself. */
export function quotaKey(api: string): string {
  return COGNITO_CATEGORIES[api] ?? api;
}

/**
 * AWS's default quotas, calls per second, keyed by quotaKey. AWS_QUOTAS overrides them by the same
 * keys (an IoT or identity-pool API name, or a Cognito category name).
 * - IoT things: the Service Quotas defaults of service code iotcore (CreateThing, DeleteThing,
 *   AttachThingPrincipal, DetachThingPrincipal API TPS: 100; ListThings, ListThingPrincipals: 10).
 * - IoT policies and certificates: the "AWS IoT Core throttling limits" table of the IoT Core
 *   quotas page (AttachPolicy, DetachPolicy, CreateCertificateFromCsr, ListAttachedPolicies: 15;
 *   CreatePolicy, DeletePolicy, DeletePolicyVersion, UpdateCertificate, DeleteCertificate and the
 *   other list and read APIs: 10). CreateKeysAndCertificate is not in the table; it gets the CSR
 *   variant's rate.
 * - Cognito user pools: the per-category table above (UserAuthentication 120, UserCreation 50,
 *   UserAccountRecovery 30, UserRead 120, UserResourceRead 50, UserList 30, UserUpdate 25, UserPoolRead,
 *   UserPoolUpdate, UserPoolClientRead and UserPoolClientUpdate 15).
 * - Cognito identity pools, per operation: GetId 25, GetCredentialsForIdentity 200, DeleteIdentities 10.
 * All are adjustable per account; set AWS_QUOTAS to what Service Quotas shows for yours.
 */
export const DEFAULT_QUOTAS: Readonly<Record<string, number>> = Object.freeze({
  CreateThing: 100,
  DeleteThing: 100,
  AttachThingPrincipal: 100,
  DetachThingPrincipal: 100,
  AttachPolicy: 15,
  DetachPolicy: 15,
  CreateCertificateFromCsr: 15,
  CreateKeysAndCertificate: 15,
  ListAttachedPolicies: 15,
  CreatePolicy: 10,
  DeletePolicy: 10,
  DeletePolicyVersion: 10,
  CreatePolicyVersion: 10,
  SetDefaultPolicyVersion: 10,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  ListThings: 10,
  ListPolicies: 10,
  ListCertificates: 10,
  DescribeCertificate: 10,
  GetPolicy: 15,
  ListTargetsForPolicy: 10,
  ListThingPrincipals: 10,
  ListPolicyVersions: 10,
  DescribeEndpoint: 10,
  UserAuthentication: 120,
  UserCreation: 50,
  UserAccountRecovery: 30,
  UserRead: 120,
  UserResourceRead: 50,
  UserList: 30,
  UserUpdate: 25,
  UserPoolRead: 15,
  UserPoolUpdate: 15,
  UserPoolClientRead: 15,
  UserPoolClientUpdate: 15,
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

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: Metrics,
  ) {
    // An override on one operation of a Cognito category would silently limit nothing: say which key to use.
    for (const name of Object.keys(config.aws.quotaOverrides)) {
      const category = COGNITO_CATEGORIES[name];
      if (category) throw new Error(`AWS_QUOTAS: ${name} shares Cognito's ${category} quota with other operations; set ${category}=<rate> instead`);
    }
  }

  /** This replica's share of the quota the API counts against, calls per second. */
  rateOf(api: string): number {
    const key = quotaKey(api);
    const quota = this.config.aws.quotaOverrides[key] ?? DEFAULT_QUOTAS[key] ?? FALLBACK_QUOTA;
    return quota / this.config.aws.replicas;
  }

  /** Every AWS call passes here, so this is where calls, waits and refusals are counted; `call` throws DomainErrors. */
  async run<T>(api: string, call: () => Promise<T>): Promise<T> {
    const bucket = this.bucketFor(api);
    if (bucket.tryTake()) return this.measured(api, call);
    if (bucket.queued >= this.config.aws.queueLimit) {
      this.metrics?.awsQueueRefused(api);
      const retryAfterSeconds = Math.max(1, Math.ceil((bucket.queued + 1) / bucket.ratePerSecond));
      throw new DomainError(
        'AWS_THROTTLED',
        `Too many ${api} calls are waiting for AWS capacity; retry later`,
        { api, quota: quotaKey(api), queued: bucket.queued, ratePerSecond: bucket.ratePerSecond },
        retryAfterSeconds,
      );
    }
    const queuedAt = performance.now();
    await bucket.wait();
    this.metrics?.awsQueued(api, (performance.now() - queuedAt) / 1000);
    return this.measured(api, call);
  }

  private async measured<T>(api: string, call: () => Promise<T>): Promise<T> {
    if (!this.metrics) return call();
    const startedAt = performance.now();
    try {
      const result = await call();
      this.metrics.awsCall(api, 'ok', (performance.now() - startedAt) / 1000);
      return result;
    } catch (error) {
      this.metrics.awsCall(api, isDomainError(error) ? error.code : 'INTERNAL', (performance.now() - startedAt) / 1000);
      throw error;
    }
  }

  private bucketFor(api: string): TokenBucket {
    const key = quotaKey(api);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.rateOf(api));
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
