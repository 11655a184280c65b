import { Injectable, UseInterceptors, type CallHandler, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { DomainError } from '../common/errors/domain-error.js';
import { requestContext } from '../common/logging/request-context.js';

/*
 * One budget for all AWS calls of a request, on top of each call's own bound (AWS_TIMEOUT_MS ×
 * AWS_MAX_ATTEMPTS): a registration that meets a hanging AWS answers 503 after
 * AWS_OPERATION_TIMEOUT_MS, not after every step has used up its attempts. The budget starts when
 * the request does (the request context's `awsDeadline`). What a request leaves half-done when it
 * runs out is undone by recovery, which runs outside requests.
 */

@Injectable()
class UnboundedAwsInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    const scope = requestContext.getStore();
    if (scope) scope.awsDeadline = undefined;
    return next.handle();
  }
}

/** For routes whose work grows with the account (drift scans every page of every list): no overall budget, only each call's own bound. */
export const WithoutAwsDeadline = () => UseInterceptors(UnboundedAwsInterceptor);

/**
 * Runs `work` with a budget of its own starting now, when the current request has one: for work
 * that waited its turn in a queue (a user's membership changes), where the wait is not AWS's time.
 */
export function withFreshAwsDeadline<T>(operationTimeoutMs: number, work: () => Promise<T>): Promise<T> {
  const scope = requestContext.getStore();
  if (scope?.awsDeadline === undefined) return work();
  return requestContext.run({ ...scope, awsDeadline: Date.now() + operationTimeoutMs }, work);
}

/** Runs `call` within what is left of the request's budget; outside a request there is no budget. */
export async function withinDeadline<T>(api: string, call: () => Promise<T>): Promise<T> {
  const deadline = requestContext.getStore()?.awsDeadline;
  if (deadline === undefined) return call();
  const left = deadline - Date.now();
  if (left <= 0) throw deadlineExceeded(api);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(deadlineExceeded(api)), left);
  });
  try {
    return await Promise.race([call(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function deadlineExceeded(api: string): DomainError {
  return new DomainError('AWS_UNAVAILABLE', `AWS did not answer in time (${api}); the request ran out of its AWS_OPERATION_TIMEOUT_MS`, {
    api,
    reason: 'DEADLINE_EXCEEDED',
  });
}
