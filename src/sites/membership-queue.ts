import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { isDomainError } from '../common/errors/domain-error.js';
import { KeyedSerializer } from '../common/keyed-serializer.js';
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
 * a short backoff, up to `waitMs`; after that the caller gets the 409.
 */
@Injectable()
export class MembershipQueue {
  private readonly serializer = new KeyedSerializer();

  constructor(private readonly runner: OperationRunner) {}

  run<P extends object, R, S extends StepOutput, E extends object>(
    definition: OperationDefinition<P, R, S, E>,
    username: string,
    params: P,
    waitMs = WAIT_FOR_HOLDER_MS,
  ): Promise<R> {
    return this.serializer.run([username], async () => {
      const deadline = Date.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.runner.run(definition, userSubject(username), params);
        } catch (error) {
          if (!isDomainError(error, 'OPERATION_IN_PROGRESS') || Date.now() >= deadline) throw error;
        }
        await sleep(Math.min(POLL_MS[attempt] ?? POLL_MS.at(-1)!, Math.max(1, deadline - Date.now())));
      }
    });
  }
}
