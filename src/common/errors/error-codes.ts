/** The service's one error vocabulary and the HTTP status each code answers with. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_CSR: 400,
  INVALID_CLAIM: 401,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  OPERATION_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  AWS_THROTTLED: 503,
  AWS_UNAVAILABLE: 503,
  AWS_NOT_CONFIGURED: 503,
  DATABASE_UNAVAILABLE: 503,
  NOT_READY: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * Retry-After for codes whose cause passes by itself when the thrower names no better value.
 * AWS_UNAVAILABLE: each call already had AWS_MAX_ATTEMPTS attempts; a few seconds lets AWS recover.
 */
export const DEFAULT_RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  AWS_UNAVAILABLE: 5,
};
