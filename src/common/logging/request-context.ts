import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

export interface RequestScope {
  /** The request's id, for log lines written by services while it runs. */
  readonly id: string;
  /** When the request's AWS calls must be done by (ms since the epoch); undefined: no overall budget. */
  awsDeadline: number | undefined;
}

/**
 * What every piece of the current request's work can ask about it. Entered in a preHandler hook
 * (after body parsing, whose stream events would lose it), so it covers guards, interceptors,
 * the handler and every call they await: one store per request instead of one per concern, and
 * no Nest interceptor (with its observables) on every route.
 */
export const requestContext = new AsyncLocalStorage<RequestScope>();

export function useRequestContext(fastify: FastifyInstance, awsBudgetMs: number): void {
  fastify.addHook('preHandler', (request, _reply, done) => requestContext.run({ id: request.id, awsDeadline: Date.now() + awsBudgetMs }, done));
}

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.id;
}
