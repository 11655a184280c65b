import type { FinalizeRequestMiddleware, MetadataBearer, RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

/*
 * Which failed AWS calls the SDK may send again, decided per API and error here rather than by the
 * SDK's built-in classification. The pinned @smithy retry code (service-error-classification)
 * counts LimitExceededException among throttling errors and a request timeout or any 5xx among
 * transient ones, for every API alike. That resends AttachPolicy's "10 policies per target"
 * refusal with backoff, and resends certificate creations whose first attempt may already have
 * created a certificate.
 */

export type RetryClass = 'throttling' | 'transient' | 'none';

/** Refusals of the request rate, answered by AWS instead of performing the request. */
const THROTTLING = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
/** AWS-side faults: the request reached AWS, which may or may not have acted on it. */
const SERVER_FAULTS = new Set([
  'ServiceUnavailableException',
  'InternalFailureException',
  'InternalErrorException',
  'InternalServerError',
  'InternalFailure',
]);
const SERVER_FAULT_STATUS = new Set([500, 502, 503, 504]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
/** Socket errors after a connection existed: the request may have been received. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** No connection was ever made, so AWS never saw the request. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * CreateKeysAndCertificate and CreateCertificateFromCsr are not idempotent: every call that AWS
 * performs issues a new ACTIVE certificate ("reusing the same CSR results in a distinct
 * certificate"), and the private key of a lost CreateKeysAndCertificate response is gone for good.
 */
export const NON_IDEMPOTENT_APIS: ReadonlySet<string> = new Set(['CreateKeysAndCertificate', 'CreateCertificateFromCsr']);

/**
 * - LimitExceededException is never retried: on IoT it is a hard limit (HTTP 410, e.g. AttachPolicy's
 *   10 policies per target), on the Cognito identity pool the number of pools, on the user pool a
 *   resource limit; waiting a second changes none of them.
 * - Throttling (the names above, or HTTP 429) is retried for every API, certificate creations too:
 *   AWS answers it in full as a client fault ("The rate exceeds the limit", HTTP 400 on IoT), the
 *   rate limiter refusing the request before it is performed. AWS's IoT reference does not say so in
 *   as many words; it is the SDKs' shared meaning of throttling ("the request was denied due to
 *   request throttling") and how the service behaves.
 * - Transient failures (5xx, ServiceUnavailable, InternalFailure, timeouts, dropped and refused
 *   connections) are retried, except for the non-idempotent creations, which are retried only when
 *   the request provably never left this process (connection refused, name not resolved).
 */
export function retryClass(api: string | undefined, error: unknown): RetryClass {
  const name = errorName(error);
  if (name === 'LimitExceededException') return 'none';
  if (name === 'AbortError') return 'none';
  if (THROTTLING.has(name) || statusOf(error) === 429) return 'throttling';
  const code = errorCode(error);
  if (code && NEVER_SENT.has(code)) return 'transient';
  if (!isTransient(error, name, code)) return 'none';
  return api && NON_IDEMPOTENT_APIS.has(api) ? 'none' : 'transient';
}

/**
 * Whether a failed call may have been performed by AWS anyway: an AWS-side fault, a timeout or a
 * connection lost after the request was sent. An answered 4xx (throttling included) or a
 * connection never made means it was not.
 */
export function outcomeUnknown(error: unknown): boolean {
  const name = errorName(error);
  const code = errorCode(error);
  if (code && NEVER_SENT.has(code)) return false;
  if (name === 'AbortError') return false;
  if (THROTTLING.has(name) || name === 'LimitExceededException') return false;
  if (isTransient(error, name, code)) return true;
  // An error below the deserializer without HTTP metadata: the request's fate is not known.
  return !(error && typeof error === 'object' && '$metadata' in error && statusOf(error) !== undefined);
}

function isTransient(error: unknown, name: string, code: string | undefined): boolean {
  if (SERVER_FAULTS.has(name) || TIMEOUTS.has(name)) return true;
  if (code && CONNECTION_LOST.has(code)) return true;
  const status = statusOf(error);
  if (status !== undefined && SERVER_FAULT_STATUS.has(status)) return true;
  return error instanceof Error && /socket hang up/i.test(error.message);
}

const DEFAULT_DELAY_MS = 100;
const THROTTLING_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;
/** How much longer than its own backoff a Retry-After hint may make us wait. */
const MAX_HINT_EXTRA_MS = 5_000;

class RetryToken implements StandardRetryToken {
  constructor(
    private readonly retryCount: number,
    private readonly delayMs: number,
  ) {}

  getRetryCount(): number {
    return this.retryCount;
  }

  getRetryDelay(): number {
    return this.delayMs;
  }

  getRetryCost(): number | undefined {
    return undefined;
  }
}

/** The errors the SDK hands to the strategy, by the API that raised them (set by apiNameMiddleware). */
const API_OF = new WeakMap<object, string>();

/**
 * Exponential backoff with full jitter (base 100 ms, 500 ms for throttling, at most 20 s), the
 * SDK's standard delays, over our classification. The SDK's adaptive rate limiter is not used:
 * QuotaLimiter already paces every API, and the adaptive limiter slowed the whole client (every
 * API) after one API's refusals.
 */
export class AwsRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';

  constructor(
    private readonly maxAttempts: number,
    private readonly random: () => number = Math.random,
  ) {}

  acquireInitialRetryToken(): Promise<RetryToken> {
    return Promise.resolve(new RetryToken(0, 0));
  }

  refreshRetryTokenForRetry(token: StandardRetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const error: unknown = info.error;
    const api = error && typeof error === 'object' ? API_OF.get(error) : undefined;
    const kind = retryClass(api, error);
    const attempts = token.getRetryCount() + 1;
    if (kind === 'none' || attempts >= this.maxAttempts) return Promise.reject(new Error('no retry for this error'));
    const base = kind === 'throttling' ? THROTTLING_DELAY_MS : DEFAULT_DELAY_MS;
    let delay = Math.floor(this.random() * Math.min(MAX_DELAY_MS, base * 2 ** token.getRetryCount()));
    if (info.retryAfterHint instanceof Date) {
      delay = Math.max(delay, Math.min(info.retryAfterHint.getTime() - Date.now(), delay + MAX_HINT_EXTRA_MS));
    }
    return Promise.resolve(new RetryToken(attempts, delay));
  }

  recordSuccess(): void {}
}

/** Labels each error with the API it came from, inside the retry loop, so the strategy can decide per API. */
export function apiNameMiddleware<I extends object, O extends MetadataBearer>(): FinalizeRequestMiddleware<I, O> {
  return (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (error && typeof error === 'object' && context.commandName) API_OF.set(error, context.commandName.replace(/Command$/, ''));
      throw error;
    }
  };
}

function errorName(error: unknown): string {
  return error && typeof error === 'object' && 'name' in error && typeof error.name === 'string' ? error.name : 'UnknownError';
}

function errorCode(error: unknown): string | undefined {
  const code = error && typeof error === 'object' && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function statusOf(error: unknown): number | undefined {
  if (!error || typeof error !== 'object' || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (!metadata || typeof metadata !== 'object' || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
