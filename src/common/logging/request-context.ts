import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The id of the request being handled, for log lines written by services while it runs. Entered
 * in a preHandler hook (after body parsing, whose stream events would lose it), so it covers
 * guards, interceptors, the handler and every call they await.
 */
export const requestContext = new AsyncLocalStorage<string>();

export function currentRequestId(): string | undefined {
  return requestContext.getStore();
}
