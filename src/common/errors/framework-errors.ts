import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, toDomainError } from './error-body.js';

/**
 * Errors Fastify's router raises before any Nest code runs (a malformed percent-encoding, a path
 * parameter over maxParamLength), answered in the service's error shape rather than Fastify's.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const domainError = toDomainError(error);
  void reply.header('x-request-id', request.id).status(domainError.status).send(errorBody(domainError, request.id));
}
