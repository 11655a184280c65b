import type { FastifyRequest } from 'fastify';
import type { VerifiedUser } from './token-verifier.js';

/** What guards leave on the request for handlers. */
export interface AuthenticatedRequest extends FastifyRequest {
  caller?: Caller;
}

export type Caller = { kind: 'api-key' } | { kind: 'user'; user: VerifiedUser };

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
