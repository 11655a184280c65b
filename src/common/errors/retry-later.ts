import { DomainError, isDomainError } from './domain-error.js';

/**
 * AWS refuses a step for now and documents that it will accept it later (DeletePolicy "can take up
 * to five minutes after a policy is detached"). The operation runner does not fail on it: it records
 * the step as waiting and lets recovery run it again when due (see OperationRunner).
 */
export class RetryLaterError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, { reason: 'RETRY_LATER', ...details });
    this.name = 'RetryLaterError';
  }
}

export function isRetryLater(error: unknown): error is RetryLaterError {
  return error instanceof RetryLaterError || (isDomainError(error, 'CONFLICT') && error.details?.reason === 'RETRY_LATER');
}
