import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminGuard } from '../auth/admin.guard.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AUTHORIZER_SECRET_HEADER } from './secret-header.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The authorizer routes answer only the deployed authorizer (AUTHORIZER_SECRET in
 * x-authorizer-secret) and admins, so nobody else can use them to test tokens or usernames.
 */
@Injectable()
export class AuthorizerCallerGuard implements CanActivate {
  private readonly secretDigest?: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly admin: AdminGuard,
  ) {
    this.secretDigest = config.authorizerSecret ? digest(config.authorizerSecret) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const headers = context.switchToHttp().getRequest<FastifyRequest>().headers;
    const secret = headers[AUTHORIZER_SECRET_HEADER];
    if (secret !== undefined) {
      // A wrong secret is refused even when admin credentials come along: one credential, one answer.
      if (!this.isSecret(secret)) throw new DomainError('UNAUTHENTICATED', 'The authorizer secret is not valid');
      return true;
    }
    if (headers['x-api-key'] === undefined && headers.authorization === undefined) {
      throw new DomainError('UNAUTHENTICATED', `Send ${AUTHORIZER_SECRET_HEADER}, an admin API key (x-api-key) or an admin bearer token`);
    }
    return this.admin.canActivate(context);
  }

  /** Digests first, so the comparison is constant-time whatever the lengths. */
  private isSecret(candidate: string | string[]): boolean {
    if (!this.secretDigest || typeof candidate !== 'string') return false;
    return timingSafeEqual(digest(candidate), this.secretDigest);
  }
}
