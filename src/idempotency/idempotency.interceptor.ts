import { createHash } from 'node:crypto';
import { HttpStatus, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/bearer.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IdempotencyRepository } from './idempotency.repository.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\w.:-]{1,128}$/;
const TTL_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 1000;

/**
 * `Idempotency-Key` on creating POST routes: the same key and body replay the first response and
 * repeat no side effect; the same key with another body is 422; while the first request runs, 409.
 * Keys are scoped to the caller and the route, and expire after 24 hours. Private keys are never
 * stored, so a replay of a registration that generated keys comes back without `privateKey`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private lastPrune = 0;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw DomainError.validation('Idempotency-Key must be 1-128 characters of letters, digits and . _ : -', { field: 'Idempotency-Key' });
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    return from(this.handle(request, reply, header, status, next));
  }

  private async handle(request: AuthenticatedRequest, reply: FastifyReply, key: string, status: number, next: CallHandler): Promise<unknown> {
    this.pruneNowAndThen();
    const scope = `${callerOf(request)} ${request.method} ${routeOf(request)}`;
    const requestHash = createHash('sha256')
      .update(canonical(request.body ?? null))
      .digest('hex');
    const existing = await this.keys.claim(scope, key, requestHash, TTL_MS);
    if (existing) {
      if (existing.requestHash !== requestHash) {
        throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
      }
      if (existing.responseStatus === null) {
        throw new DomainError('OPERATION_IN_PROGRESS', 'The first request with this Idempotency-Key is still running', undefined, 1);
      }
      void reply.status(existing.responseStatus).header('idempotent-replayed', 'true');
      return existing.responseBody;
    }
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      // Stored as the client saw it: JSON, so dates are strings; never the private key.
      await this.keys.complete(scope, key, status, withoutSecrets(JSON.parse(JSON.stringify(body ?? null))));
      return body;
    } catch (error) {
      await this.keys.release(scope, key).catch(() => undefined);
      throw error;
    }
  }

  private pruneNowAndThen(): void {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    void this.keys.pruneExpired().catch(() => undefined);
  }
}

function callerOf(request: AuthenticatedRequest): string {
  const caller = request.caller;
  if (caller?.kind === 'user') return `user:${caller.user.sub}`;
  const apiKey = request.headers['x-api-key'];
  return `key:${createHash('sha256')
    .update(String(apiKey ?? ''))
    .digest('hex')
    .slice(0, 16)}`;
}

/**
 * The route template with its decoded parameters, not the raw URL: `/v1/users/%72ace-u/devices`
 * and `/v1/users/race-u/devices` are the same request, so they must share one scope.
 */
function routeOf(request: AuthenticatedRequest): string {
  const params = (request.params ?? {}) as Record<string, unknown>;
  return `${request.routeOptions.url ?? request.url.split('?')[0]} ${canonical(params)}`;
}

/** Same JSON regardless of key order, so a client re-serialising its body still matches. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function withoutSecrets(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutSecrets);
  if (body && typeof body === 'object') {
    return Object.fromEntries(
      Object.entries(body as Record<string, unknown>)
        .filter(([key]) => key !== 'privateKey')
        .map(([key, value]) => [key, withoutSecrets(value)]),
    );
  }
  return body;
}
