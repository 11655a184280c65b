import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.js';
import { errorBody, toDomainError } from './error-body.js';

/**
 * Errors Fastify's router raises before any Nest code runs (a malformed percent-encoding, a path
 * parameter over maxParamLength), answered in the service's error shape rather than Fastify's.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const domainError = toDomainError(error);
  void reply.header('x-request-id', request.id).status(domainError.status).send(errorBody(domainError, request.id));
}

/**
 * Errors Node's HTTP parser raises before there is a request at all (headers over Node's
 * maxHeaderSize, a malformed request line, a client too slow to send its headers): answered on
 * the raw socket, still in the error shape and with an x-request-id (a new one: the request's own
 * header may be what could not be read), then the connection is closed as Node would.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const domainError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new DomainError('HEADERS_TOO_LARGE', 'The request headers are too large')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new DomainError('REQUEST_TIMEOUT', 'The request took too long to arrive')
        : DomainError.validation('The request is not valid HTTP');
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(domainError, requestId));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${domainError.status} ${STATUS_CODES[domainError.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
