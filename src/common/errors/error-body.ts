import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable, databaseUnavailable } from './database-unavailable.js';
import { DomainError, type ErrorDetails } from './domain-error.js';
import type { ErrorCode } from './error-codes.js';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
  requestId: string;
}

/** Fastify's own errors (raised before a route handler runs), by their codes. */
const FASTIFY_ERRORS: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['VALIDATION_FAILED', 'The request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['VALIDATION_FAILED', 'The request body is empty but declared as JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['VALIDATION_FAILED', 'The Content-Length header does not match the body'],
  FST_ERR_BAD_URL: ['VALIDATION_FAILED', 'The URL is not validly percent-encoded'],
  FST_ERR_MAX_PARAM_LENGTH: ['VALIDATION_FAILED', 'A path parameter is too long'],
};

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** Turns any thrown value into the one error vocabulary. Unknown errors become INTERNAL, with no internals. */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const fastifyCode = (error as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_ERRORS[fastifyCode]) {
    const [code, message] = FASTIFY_ERRORS[fastifyCode];
    return new DomainError(code, message);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = HTTP_CODES[status];
    if (code === 'NOT_FOUND') return new DomainError(code, 'No such route');
    if (code === 'UNSUPPORTED_MEDIA_TYPE') return new DomainError(code, FASTIFY_ERRORS.FST_ERR_CTP_INVALID_MEDIA_TYPE![1]);
    if (code) return new DomainError(code, error.message);
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  return new DomainError('INTERNAL', 'An unexpected error occurred');
}

export function errorBody(error: DomainError, requestId: string): ErrorBody {
  return {
    code: error.code,
    message: error.message,
    ...(error.details === undefined ? {} : { details: error.details }),
    requestId,
  };
}
