import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { isDomainError } from '../common/errors/domain-error.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { userSubject } from '../operations/subjects.js';
import { UsersRepository } from '../users/users.repository.js';
import { SessionOperations } from './operations/session-operations.js';
import { usableUser } from './session-user.js';

/** How long a first sign-in waits for another replica (or an admin operation) holding the user. */
const WAIT_FOR_HOLDER_MS = 5000;
const POLL_MS = 100;

/**
 * Gives a user its Cognito identity and attaches its IoT policy to it, once.
 * In this process, concurrent first sign-ins of one user share one promise (one GetId, one
 * AttachPolicy). Across replicas, the operation's subject lock lets one run; the others re-read
 * the row until the winner has stored the result, and take over if the winner gave up.
 */
@Injectable()
export class IdentityLinker {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly users: UsersRepository,
    private readonly runner: OperationRunner,
    private readonly operations: SessionOperations,
  ) {}

  /** The user's identity id, with the policy attached to it; `idToken` must be the user's. */
  link(username: string, idToken: string): Promise<string> {
    let pending = this.inFlight.get(username);
    if (!pending) {
      pending = this.linkAcrossReplicas(username, idToken).finally(() => this.inFlight.delete(username));
      this.inFlight.set(username, pending);
    }
    return pending;
  }

  private async linkAcrossReplicas(username: string, idToken: string): Promise<string> {
    const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
    for (;;) {
      try {
        return await this.runner.run(this.operations.linkIdentity, userSubject(username), { username }, { idToken });
      } catch (error) {
        if (!isDomainError(error, 'OPERATION_IN_PROGRESS') || Date.now() >= deadline) throw error;
      }
      const current = usableUser(await this.users.findForSession(username));
      if (current.identityId && current.policyAttachedAt) return current.identityId;
      await sleep(POLL_MS);
    }
  }
}
