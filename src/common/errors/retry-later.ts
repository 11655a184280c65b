import { DomainError, isDomainError } from './domain-error.js';

/**
 * AWS refuses a step for now and documents that it will accept it later (DeletePolicy "can take up
 * to five minutes after a policy is detached"). The operation runner does not fail on it: it records
 * the step as waiting and lets recovery run it again when due (see OperationRunner).
 */
export class RetryLaterError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, { ...details, reason: 'RETRY_LATER' });
    this.name = 'RetryLaterError';
  }
}

export function isRetryLater(error: unknown): error is RetryLaterError {
  return error instanceof RetryLaterError || (isDomainError(error, 'CONFLICT') && error.details?.reason === 'RETRY_LATER');
}

/**
 * For a step that runs once the subject is gone for the API (its rows deleted): no request can
 * repeat it, so any failure becomes a wait and recovery retries it instead of leaving it FAILED.
 */
export async function retriedLater<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (isRetryLater(error) || !isDomainError(error)) throw error;
    throw new RetryLaterError(error.message, { ...error.details, cause: error.code });
  }
}
