import { randomUUID } from 'node:crypto';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppLogger } from '../logging/app-logger.js';
import { errorBody, toDomainError } from './error-body.js';

/** The one place errors become HTTP responses: `{ code, message, details?, requestId }`. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: AppLogger) {
    logger.setContext(ErrorFilter.name);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = toDomainError(exception);
    if (error.code === 'INTERNAL') this.logger.error({ err: exception }, 'unhandled error');
    else if (error.status >= 500) this.logger.warn({ code: error.code, details: error.details }, error.message);
    const requestId = requestIdOf(request);
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
    reply.header('x-request-id', requestId);
    reply.status(error.status).send(errorBody(error, requestId));
  }
}

export function requestIdOf(request: FastifyRequest): string {
  return typeof request.id === 'string' ? request.id : randomUUID();
}
