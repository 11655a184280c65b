import { setTimeout as sleep } from 'node:timers/promises';
import { withinDeadline } from '../aws/aws-deadline.js';
import { translateAwsError, type AwsService } from '../aws/aws-errors.js';
import { DEFAULT_QUOTAS, FALLBACK_QUOTA, quotaKey, type QuotaLimiter } from '../aws/quota-limiter.js';
import type { DomainError } from '../common/errors/domain-error.js';

/**
 * What the three local AWS services share: one ordered call log, one fault injector, call hooks,
 * latency, AWS-side quota enforcement and an optional client-side QuotaLimiter, applied to every
 * call in the order a real call meets them, and a change hook the sandbox persists its state from.
 * Tests use all of it; the service's local mode turns the call log off and injects no faults.
 */

export interface RecordedCall {
  /** The real AWS API name, e.g. 'CreateThing'. */
  api: string;
  input: unknown;
}

export type FaultError = DomainError | 'throttle' | 'unavailable';

export interface FaultSpec {
  api: string;
  error: FaultError;
  /** How many calls fail; default 1, Infinity for "until cleared". */
  times?: number;
  /** How many calls of the API succeed first (counted from injection): after: 2 fails the 3rd call. */
  after?: number;
  /**
   * The call takes effect in AWS, then fails anyway: the response was lost (a timeout or a dropped
   * connection after AWS acted), so the caller does not learn what was created.
   */
  lost?: boolean;
  /**
   * With lost: the SDK sends the request again after the lost answer (a timeout is transient to
   * it), and the caller hears the second attempt's answer ("already exists", or a second creation).
   */
  resent?: boolean;
}

export type CallHook = (input: unknown) => void | Promise<void>;

/** The DomainError the adapters raise for an AWS error of this name: fakes reuse the adapters' translation. */
const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.bind(process);

/** This thread's CPU time where Node has it (23.9+; cheaper than the whole process's), else the process's. */
function threadCpuMicros(): number {
  const { user, system } = threadCpuUsage ? threadCpuUsage() : process.cpuUsage();
  return user + system;
}

export function awsError(service: AwsService, api: string, name: string, message: string = name): DomainError {
  return translateAwsError(Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } }), { service, api });
}

export class FaultInjector {
  private rules: Array<{ api: string; error: FaultError; remaining: number; skip: number; lost: boolean; resent: boolean }> = [];
  private lastLost = false;
  private lastResent = false;

  inject(spec: FaultSpec): void {
    this.rules.push({
      api: spec.api,
      error: spec.error,
      remaining: spec.times ?? 1,
      skip: spec.after ?? 0,
      lost: spec.lost ?? false,
      resent: spec.resent ?? false,
    });
  }

  /** Whether the lost fault take() returned last is followed by the SDK's resend. */
  get resent(): boolean {
    return this.lastResent;
  }

  /** Whether the fault take() returned last is a lost response (the call itself goes through). */
  get lost(): boolean {
    return this.lastLost;
  }

  clear(): void {
    this.rules = [];
  }

  /** Consumes the first matching rule for this call, if any. */
  take(service: AwsService, api: string): DomainError | undefined {
    let fault: FaultError | undefined;
    this.lastLost = false;
    this.lastResent = false;
    for (const rule of this.rules) {
      if (rule.api !== api || rule.remaining <= 0) continue;
      if (rule.skip > 0) {
        rule.skip -= 1;
        continue;
      }
      rule.remaining -= 1;
      fault = rule.error;
      this.lastLost = rule.lost;
      this.lastResent = rule.lost && rule.resent;
      break;
    }
    this.rules = this.rules.filter((rule) => rule.remaining > 0);
    if (fault === 'throttle') return awsError(service, api, service === 'iot' ? 'ThrottlingException' : 'TooManyRequestsException', 'Rate exceeded');
    if (fault === 'unavailable') return awsError(service, api, service === 'iot' ? 'ServiceUnavailableException' : 'InternalErrorException');
    return fault;
  }
}

export interface LocalRuntimeOptions {
  /** Delay added to every call before it reaches the fake AWS, for benchmarks. */
  latencyMs?: number;
  /** Throttle calls that exceed AWS's default quota, as AWS does. */
  enforceQuotas?: boolean;
  /** The account's quotas when they differ from AWS's defaults (raised quotas), calls per second. */
  awsQuotas?: Record<string, number>;
  /** Route calls through the same client-side limiter the adapters use. */
  limiter?: QuotaLimiter;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  clock?: () => number;
  /** Keep the call log and the set of secrets handed out (tests); off in the service, where they would only grow. */
  record?: boolean;
  /** Runs after every call that may have changed state took effect, before the caller hears back. */
  onChange?: () => void;
}

/** The calls that change nothing the sandbox saves (DeleteConnection changes the broker's connections only); every other call is followed by onChange. */
const READ_ONLY = /^(List|Describe)|^(GetPolicy|AdminGetUser|DeleteConnection)$/;

export class LocalRuntime {
  readonly calls: RecordedCall[] = [];
  readonly faults = new FaultInjector();
  /** Every secret the services handed out or were given (passwords, tokens, keys, credentials): tests check none reaches a log. */
  readonly secrets: Set<string>;
  onChange?: () => void;
  private readonly record: boolean;
  latencyMs: number;
  /** CPU time (user + system, µs) the fakes' own work took: AWS's work, which the bench must not count as the service's. */
  cpuMicros = 0;
  enforceQuotas: boolean;
  readonly limiter?: QuotaLimiter;
  readonly clock: () => number;
  private readonly awsQuotas: Record<string, number>;
  private readonly hooks: Array<{ api: string; fn: CallHook }> = [];
  private readonly doneHooks: Array<{ api: string; fn: CallHook }> = [];
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: LocalRuntimeOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.enforceQuotas = options.enforceQuotas ?? false;
    this.limiter = options.limiter;
    this.clock = options.clock ?? Date.now;
    this.awsQuotas = options.awsQuotas ?? {};
    this.record = options.record ?? true;
    this.secrets = this.record ? new Set<string>() : new DiscardingSet();
    this.onChange = options.onChange;
  }

  /** Runs fn before every call of api ('*' for all); throw from it to simulate a crash before AWS is reached. Returns an unsubscribe. */
  onCall(api: string, fn: CallHook): () => void {
    const hook = { api, fn };
    this.hooks.push(hook);
    return () => {
      const index = this.hooks.indexOf(hook);
      if (index >= 0) this.hooks.splice(index, 1);
    };
  }

  /**
   * Runs fn after each call of api has taken effect in the fake AWS, before the caller hears back;
   * return a promise that never settles to simulate a process that dies right after AWS acted.
   */
  onCallDone(api: string, fn: CallHook): () => void {
    const hook = { api, fn };
    this.doneHooks.push(hook);
    return () => {
      const index = this.doneHooks.indexOf(hook);
      if (index >= 0) this.doneHooks.splice(index, 1);
    };
  }

  countCalls(api?: string): number {
    return api === undefined ? this.calls.length : this.calls.filter((call) => call.api === api).length;
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** As callAws does for the adapters: the rate-limit wait and the call both count against the request's AWS deadline. */
  invoke<T>(service: AwsService, api: string, input: unknown, action: () => T | Promise<T>): Promise<T> {
    const run = () => this.execute(service, api, input, () => this.timed(action));
    return withinDeadline(api, () => (this.limiter ? this.limiter.run(api, run) : run()));
  }

  /**
   * Work an action does after it awaited something (the token signing after a password check) on
   * the same CPU clock as the action's synchronous part.
   */
  clocked<T>(work: () => T): T {
    const before = threadCpuMicros();
    try {
      return work();
    } finally {
      this.cpuMicros += threadCpuMicros() - before;
    }
  }

  /** The action's synchronous part (signing tokens, issuing certificates: the costly work) on the CPU clock. */
  private timed<T>(action: () => T | Promise<T>): T | Promise<T> {
    const before = threadCpuMicros();
    try {
      return action();
    } finally {
      this.cpuMicros += threadCpuMicros() - before;
    }
  }

  private async execute<T>(service: AwsService, api: string, input: unknown, action: () => T | Promise<T>): Promise<T> {
    for (const hook of this.hooks.filter((h) => h.api === api || h.api === '*')) await hook.fn(input);
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    if (this.record) this.calls.push({ api, input: structuredClone(input) });
    if (this.enforceQuotas && !this.takeQuotaToken(api)) {
      throw awsError(service, api, service === 'iot' ? 'ThrottlingException' : 'TooManyRequestsException', 'Rate exceeded');
    }
    const fault = this.faults.take(service, api);
    if (fault && this.faults.resent) {
      await action();
      this.calls.push({ api, input: structuredClone(input) });
      return action();
    }
    if (fault && this.faults.lost) {
      await action();
      this.changed(api);
      throw fault;
    }
    if (fault) throw fault;
    const result = await action();
    this.changed(api);
    for (const hook of this.doneHooks.filter((h) => h.api === api || h.api === '*')) await hook.fn(input);
    return result;
  }

  private changed(api: string): void {
    if (!READ_ONLY.test(api)) this.onChange?.();
  }

  /**
   * AWS's side of the quota, modelled as AWS throttles: a token bucket refilled at the default
   * rate that holds one second's worth. (A strict "N per sliding second" count would flag a
   * client that sends exactly at the quota after an idle second, which AWS accepts.) Cognito
   * user-pool operations of one category share the category's bucket, as on AWS; awsQuotas takes
   * the same keys as AWS_QUOTAS (API names, or category names such as UserUpdate).
   */
  private takeQuotaToken(api: string): boolean {
    const key = quotaKey(api);
    const quota = this.awsQuotas[key] ?? DEFAULT_QUOTAS[key] ?? FALLBACK_QUOTA;
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: quota, at: now };
    bucket.tokens = Math.min(quota, bucket.tokens + (Math.max(0, now - bucket.at) * quota) / 1000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    // The tolerance absorbs float rounding between this bucket and the client's identical one.
    if (bucket.tokens < 1 - 1e-9) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** A Set that keeps nothing: the service's local mode has no test checking its logs for secrets. */
class DiscardingSet extends Set<string> {
  override add(): this {
    return this;
  }
}
