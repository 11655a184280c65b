import { DEFAULT_RETRY_AFTER_SECONDS, ERROR_STATUS, type ErrorCode } from './error-codes.js';

export type ErrorDetails = Record<string, unknown>;

/**
 * Every expected failure in the service is a DomainError. One filter maps it to HTTP,
 * so services and adapters never think in status codes.
 */
export class DomainError extends Error {
  /** Seconds a client should wait before retrying (429 and 503); some codes have a default. */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
    this.retryAfterSeconds = retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS[code];
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static notFound(what: string, details?: ErrorDetails): DomainError {
    return new DomainError('NOT_FOUND', `${what} not found`, details);
  }

  static conflict(message: string, details?: ErrorDetails): DomainError {
    return new DomainError('CONFLICT', message, details);
  }

  static validation(message: string, details?: ErrorDetails): DomainError {
    return new DomainError('VALIDATION_FAILED', message, details);
  }
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
