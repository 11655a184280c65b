import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets, seconds: HTTP answers from well under a millisecond (cache hits) to AWS-bound seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const AWS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The route label of requests no route matched: raw paths would make the label set unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

export type OperationOutcome = 'started' | 'succeeded' | 'undone' | 'failed' | 'recovered';
export type RateLimitScope = 'user' | 'address' | 'pair';
/** How one client id's cut-off ended, or that it was left to recovery ('pending') or dropped by a grant ('cancelled'). */
export type CutoffOutcome = 'closed' | 'not_connected' | 'pending' | 'given_up' | 'cancelled';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** How often the event-loop lag is sampled, ms. */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The service's Prometheus metrics, in a registry of its own (two apps in one process, as in
 * tests, never share counters). Code records through the named methods below; a feature that
 * needs a metric of its own registers it on `registry`. Every label value comes from a bounded
 * set: route templates, AWS API names, error codes, operation kinds; never a username or a path.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status: latency in seconds (_count is the request count)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  /** One histogram child per label combination, found by one string key instead of prom-client's label hashing. */
  private readonly httpChildren = new Map<string, { observe(value: number): void }>();

  private readonly awsDuration = new Histogram({
    name: 'aws_call_duration_seconds',
    help: 'AWS calls by API and outcome (ok, or the error code they ended with): latency in seconds, SDK retries included',
    labelNames: ['api', 'outcome'] as const,
    buckets: AWS_BUCKETS,
    registers: [this.registry],
  });
  private readonly awsQueueWait = new Histogram({
    name: 'aws_quota_wait_seconds',
    help: 'Time AWS calls waited in the client-side quota queue, by API (only calls that had to wait)',
    labelNames: ['api'] as const,
    buckets: AWS_BUCKETS,
    registers: [this.registry],
  });
  private readonly awsQueueRefusals = new Counter({
    name: 'aws_quota_refusals_total',
    help: 'AWS calls refused client-side because too many already waited for the API (answered 503 AWS_THROTTLED)',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  private readonly awsThrottles = new Counter({
    name: 'aws_throttled_total',
    help: 'AWS calls that AWS still throttled after the SDK retries, by API',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });

  private readonly cacheHits = new Counter({
    name: 'credential_cache_hits_total',
    help: 'Credentials served from the cache',
    registers: [this.registry],
  });
  private readonly cacheMisses = new Counter({
    name: 'credential_cache_misses_total',
    help: 'Credential requests the cache could not answer (GetCredentialsForIdentity was called, or joined)',
    registers: [this.registry],
  });
  private readonly cacheEntries: Gauge = new Gauge({
    name: 'credential_cache_entries',
    help: 'Users whose credentials are cached',
    registers: [this.registry],
    // Read when scraped, never on the request path.
    collect: () => this.cacheEntries.set(this.cacheSize?.() ?? 0),
  });

  private readonly signInFailures = new Counter({
    name: 'signin_failures_total',
    help: 'Password sign-ins refused for a wrong username or password',
    registers: [this.registry],
  });
  private readonly signInRefusals = new Counter({
    name: 'signin_rate_limited_total',
    help: 'Sign-ins refused with 429 before Cognito was asked, by the limit that held them back (pair, user or address)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  private readonly operations = new Counter({
    name: 'operations_total',
    help: 'Durable operations by kind and outcome: started, succeeded, undone, failed, recovered (finished or undone by recovery)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly cutoffs = new Counter({
    name: 'connection_cutoffs_total',
    help: 'Client ids of the immediate cut-off by outcome: closed, not_connected, pending (left to recovery), given_up, cancelled (access granted again)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly cutoffsPending = new Gauge({
    name: 'connection_cutoffs_pending',
    help: 'Cut-offs recovery still retries (rows in pending_cutoffs), as this replica last counted them',
    registers: [this.registry],
  });

  private readonly driftFindings = new Gauge({
    name: 'drift_findings',
    help: 'Findings of the latest drift report, by kind (orphans, ghosts, unattachedCertificates); set by each report',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly pool: Gauge<'state'> = new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state: total (open), idle, waiting (queries waiting for a connection)',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.poolStats?.();
      if (!stats) return;
      this.pool.set({ state: 'total' }, stats.total);
      this.pool.set({ state: 'idle' }, stats.idle);
      this.pool.set({ state: 'waiting' }, stats.waiting);
    },
  });
  private poolStats?: () => PoolStats;
  private cacheSize?: () => number;

  constructor() {
    // Process metrics: CPU, resident memory, heap, event-loop lag, GC, handles. The lag is sampled
    // every 100 ms rather than prom-client's 10 ms: each sample wakes the event loop, and a hundred
    // wake-ups a second cost an idle service about 5 ms of CPU per second; stalls that matter are longer.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** `route` is the matched route's template (`/v1/users/:username`), or undefined when none matched. */
  httpRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route ?? ''}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = this.httpDuration.labels({ route: route ?? UNMATCHED_ROUTE, method, status: String(status) });
      this.httpChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** `outcome` is 'ok' or the DomainError code the call ended with. */
  awsCall(api: string, outcome: string, seconds: number): void {
    this.awsDuration.observe({ api, outcome }, seconds);
    if (outcome === 'AWS_THROTTLED') this.awsThrottles.inc({ api });
  }

  awsQueued(api: string, seconds: number): void {
    this.awsQueueWait.observe({ api }, seconds);
  }

  awsQueueRefused(api: string): void {
    this.awsQueueRefusals.inc({ api });
  }

  credentialCache(hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc();
  }

  signInFailed(): void {
    this.signInFailures.inc();
  }

  signInRateLimited(scopes: RateLimitScope[]): void {
    for (const scope of scopes) this.signInRefusals.inc({ scope });
  }

  operation(kind: string, outcome: OperationOutcome): void {
    this.operations.inc({ kind, outcome });
  }

  connectionCutoff(outcome: CutoffOutcome, count = 1): void {
    this.cutoffs.inc({ outcome }, count);
  }

  connectionCutoffsPending(count: number): void {
    this.cutoffsPending.set(count);
  }

  drift(counts: Record<string, number>): void {
    for (const [kind, count] of Object.entries(counts)) this.driftFindings.set({ kind }, count);
  }

  /** Sources read at scrape time. */
  observePool(stats: () => PoolStats): void {
    this.poolStats = stats;
  }

  observeCredentialCache(size: () => number): void {
    this.cacheSize = size;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
