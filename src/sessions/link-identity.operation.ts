import type { IdentityPoolPort } from '../aws/identity-pool.port.js';
import type { IotPort } from '../aws/iot.port.js';
import { isDomainError } from '../common/errors/domain-error.js';
import type { OperationDefinition } from '../operations/operation.types.js';
import type { SessionUser, UsersRepository } from '../users/users.repository.js';
import { usableUser } from './session-user.js';

export interface LinkIdentityParams {
  username: string;
}

/** Passed as the run's ephemeral values: an ID token is never persisted. */
export interface LinkIdentitySecrets {
  idToken: string;
}

export interface LinkIdentityDeps {
  users: UsersRepository;
  identityPool: IdentityPoolPort;
  iot: IotPort;
}

/**
 * A user's first use: GetId (Logins → the ID token) and store the identity id, then AttachPolicy
 * and store when. Runs under the user's operation subject, so across replicas only one runs at a
 * time, and reads the row inside it, so one that finds the work done does nothing.
 *
 * Nothing to undo: a recorded identity id and an attached policy are the wanted state either way,
 * and a first use that fails or stops midway is simply completed by the next sign-in.
 */
export function linkIdentityOperation(deps: LinkIdentityDeps): OperationDefinition<LinkIdentityParams, string> {
  return {
    kind: 'link-identity',
    onFailure: 'undo',
    steps: () => [
      {
        name: 'getId',
        async run({ params, ephemeral }) {
          // Disabled or deleted while this request waited for the subject: no attach.
          const user = usableUser(await deps.users.findForSession(params.username));
          ephemeral.user = user;
          if (user.identityId) return { identityId: user.identityId };
          const { idToken } = ephemeral as unknown as LinkIdentitySecrets;
          const identityId = await deps.users.recordIdentity(user.id, await deps.identityPool.getIdentityId(idToken));
          return { identityId };
        },
      },
      {
        name: 'attachPolicy',
        async run({ state, ephemeral }) {
          const user = ephemeral.user as SessionUser;
          if (user.policyAttachedAt) return;
          await attachUnlessAttached(deps.iot, user.policyName, state.identityId as string);
          await deps.users.markPolicyAttached(user.id);
        },
      },
    ],
    result: ({ state }) => state.identityId as string,
  };
}

/** An attachment AWS reports as already existing counts as done. */
async function attachUnlessAttached(iot: IotPort, policyName: string, identityId: string): Promise<void> {
  try {
    await iot.attachPolicy(policyName, identityId);
  } catch (error) {
    if (!(isDomainError(error, 'CONFLICT') && error.details?.awsError === 'ResourceAlreadyExistsException')) throw error;
  }
}
