import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../common/http/bearer-token.js';
import { DomainError } from '../common/errors/domain-error.js';

/** The raw bearer ID token of an @AppUserOnly() route (verified by the guard), for calls that present it to Cognito. */
export const IdToken = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
  if (!token) throw new DomainError('UNAUTHENTICATED', 'Send a Cognito ID token as Authorization: Bearer <token>');
  return token;
});
