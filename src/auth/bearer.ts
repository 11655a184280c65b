import type { FastifyRequest } from 'fastify';
import type { VerifiedUser } from './token-verifier.js';

/** What guards leave on the request for handlers. */
export interface AuthenticatedRequest extends FastifyRequest {
  caller?: Caller;
}

export type Caller = { kind: 'api-key' } | { kind: 'user'; user: VerifiedUser };
