import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { withFreshAwsDeadline } from '../aws/aws-deadline.js';
import { isDomainError } from '../common/errors/domain-error.js';
import { KeyedSerializer } from '../common/keyed-serializer.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OperationRunner } from '../operations/operation-runner.js';
import type { OperationDefinition, StepOutput } from '../operations/operation.types.js';
import { userSubject } from '../operations/subjects.js';

/** How long a change waits for an operation elsewhere (another replica, a sign-in, a disable) holding the user. */
export const WAIT_FOR_HOLDER_MS = 10_000;
const POLL_MS = [25, 50, 100, 200, 400];

/**
 * Membership changes of one user, one at a time. In this process they queue in arrival order
 * (costing no database connection while they wait), so a burst of changes for one user all land
 * instead of all but one answering OPERATION_IN_PROGRESS. An operation holding the user elsewhere
 * (another replica's change, a first sign-in, a disable) is waited for, re-trying the start with
 * a short backoff, up to `waitMs`; after that the caller gets the 409. The request's AWS budget
 * (AWS_OPERATION_TIMEOUT_MS) starts when the change's turn comes, not while it queues.
 */
@Injectable()
export class MembershipQueue {
  private readonly serializer = new KeyedSerializer();

  constructor(
    private readonly runner: OperationRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  run<P extends object, R, S extends StepOutput, E extends object>(
    definition: OperationDefinition<P, R, S, E>,
    username: string,
    params: P,
    waitMs = WAIT_FOR_HOLDER_MS,
  ): Promise<R> {
    return this.serializer.run([username], () =>
      withFreshAwsDeadline(this.config.aws.operationTimeoutMs, () => this.start(definition, username, params, waitMs)),
    );
  }

  /** Starts the operation, re-trying while another operation holds the user, until `waitMs` has passed. */
  private async start<P extends object, R, S extends StepOutput, E extends object>(
    definition: OperationDefinition<P, R, S, E>,
    username: string,
    params: P,
    waitMs: number,
  ): Promise<R> {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runner.run(definition, userSubject(username), params);
      } catch (error) {
        if (!isDomainError(error, 'OPERATION_IN_PROGRESS') || Date.now() >= deadline) throw error;
      }
      await sleep(Math.min(POLL_MS[attempt] ?? POLL_MS.at(-1)!, Math.max(1, deadline - Date.now())));
    }
  }
}
