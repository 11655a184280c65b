import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/** A creating POST route that honours `Idempotency-Key`. Put it after the auth decorator, so the caller is known. */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Retry-safe creation: the same key and body within 24 hours return the first response without repeating it ' +
        '(a generated private key is never stored, so it is not replayed).',
      example: '0d6f3c1e-4f5b-4a0e-9d4b-8a9f1e2c3b4a',
    }),
    ApiConflictResponse({ description: 'OPERATION_IN_PROGRESS: the first request with this key is still running' }),
    ApiUnprocessableEntityResponse({ description: 'IDEMPOTENCY_KEY_REUSED: the key was used with a different body' }),
  );
