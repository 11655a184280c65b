import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { bearerToken } from '../common/http/bearer-token.js';
import type { AuthenticatedRequest } from './bearer.js';
import { TokenVerifier } from './token-verifier.js';

/** App routes: `Authorization: Bearer <Cognito ID token>`. */
@Injectable()
export class AppUserGuard implements CanActivate {
  constructor(private readonly tokens: TokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'Send a Cognito ID token as Authorization: Bearer <token>');
    request.caller = { kind: 'user', user: await this.tokens.verifyIdToken(token) };
    return true;
  }
}
