import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** When the AWS calls of the current request must be done by (ms since the epoch). */
const deadlines = new AsyncLocalStorage<number>();

const UNBOUNDED = 'aws-deadline:unbounded';

/** For routes whose work grows with the account (drift scans every page of every list): no overall budget, only each call's own bound. */
export const WithoutAwsDeadline = () => SetMetadata(UNBOUNDED, true);

/**
 * One budget for all AWS calls of a request, on top of each call's own bound (AWS_TIMEOUT_MS ×
 * AWS_MAX_ATTEMPTS): a registration that meets a hanging AWS answers 503 after
 * AWS_OPERATION_TIMEOUT_MS, not after every step has used up its attempts. What a request
 * leaves half-done when the budget runs out is undone by recovery, which runs outside requests.
 */
@Injectable()
export class AwsDeadlineInterceptor implements NestInterceptor {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.getAllAndOverride<boolean>(UNBOUNDED, [context.getHandler(), context.getClass()])) return next.handle();
    const deadline = Date.now() + this.config.aws.operationTimeoutMs;
    return new Observable((subscriber) => deadlines.run(deadline, () => next.handle().subscribe(subscriber)));
  }
}

/**
 * Runs `work` with a budget of its own starting now, when the current request has one: for work
 * that waited its turn in a queue (a user's membership changes), where the wait is not AWS's time.
 */
export function withFreshAwsDeadline<T>(operationTimeoutMs: number, work: () => Promise<T>): Promise<T> {
  if (deadlines.getStore() === undefined) return work();
  return deadlines.run(Date.now() + operationTimeoutMs, work);
}

/** Runs `call` within what is left of the request's budget; outside a request there is no budget. */
export async function withinDeadline<T>(api: string, call: () => Promise<T>): Promise<T> {
  const deadline = deadlines.getStore();
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
