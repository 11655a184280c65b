import { applyDecorators, createParamDecorator, UseGuards, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ADMIN_API_KEY, COGNITO_BEARER } from '../common/http/swagger.js';
import { DomainError } from '../common/errors/domain-error.js';
import { AdminGuard } from './admin.guard.js';
import { AppUserGuard } from './app-user.guard.js';
import type { AuthenticatedRequest } from './bearer.js';
import type { VerifiedUser } from './token-verifier.js';

/** An admin route: x-api-key or a Cognito token of ADMIN_GROUP. */
export const AdminOnly = () =>
  applyDecorators(
    UseGuards(AdminGuard),
    ApiSecurity(ADMIN_API_KEY),
    ApiBearerAuth(COGNITO_BEARER),
    ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: no or invalid credentials' }),
    ApiForbiddenResponse({ description: 'FORBIDDEN: valid credentials, not an admin' }),
  );

/** An app route: a Cognito ID token as bearer. */
export const AppUserOnly = () =>
  applyDecorators(
    UseGuards(AppUserGuard),
    ApiBearerAuth(COGNITO_BEARER),
    ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: missing, invalid or expired ID token' }),
  );

/** The verified user of an app route. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): VerifiedUser => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (caller?.kind !== 'user') throw new DomainError('UNAUTHENTICATED', 'No signed-in user');
  return caller.user;
});
