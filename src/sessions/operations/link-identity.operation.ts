import type { IdentityPoolPort } from '../../aws/identity-pool.port.js';
import type { IotPort } from '../../aws/iot.port.js';
import { isDomainError } from '../../common/errors/domain-error.js';
import type { Entitlements } from '../../entitlements/entitlements.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import type { SessionUser, UsersRepository } from '../../users/users.repository.js';
import { usableUser } from '../session-user.js';

export interface LinkIdentityParams {
  username: string;
}

export type LinkIdentityState = {
  identityId: string;
};

/** Passed as the run's ephemeral values: an ID token is never persisted. */
export interface LinkIdentitySecrets {
  idToken: string;
  /** The row as read under the operation's lock. */
  user: SessionUser;
}

export interface LinkIdentityDeps {
  users: UsersRepository;
  identityPool: IdentityPoolPort;
  iot: IotPort;
  entitlements: Entitlements;
}

/**
 * A user's first use: GetId (Logins → the ID token) and store the identity id, then attach every
 * policy the user's entitlements compile to (their own, plus one per further slot their sites
 * need) and store when; also the first use after an enable, a disable having detached them all. Runs under the user's operation subject, so across replicas only one runs at a
 * time, and reads the row inside it, so one that finds the work done does nothing.
 *
 * Nothing to undo ('keep'): a recorded identity id and an attached policy are the wanted state
 * either way, and a first use that fails or stops midway is completed by the next sign-in. Its
 * operation then ends FAILED with the done steps shown done.
 */
export function linkIdentityOperation(
  deps: LinkIdentityDeps,
): PersistedOperation<LinkIdentityParams, string, LinkIdentityState, LinkIdentitySecrets> {
  return {
    kind: 'link-identity',
    onFailure: 'keep',
    steps: () => [
      {
        name: 'getId',
        async run({ params, ephemeral }) {
          // Disabled or deleted while this request waited for the subject: no attach.
          const user = usableUser(await deps.users.findForSession(params.username));
          ephemeral.user = user;
          if (user.identityId) return { identityId: user.identityId };
          const identityId = await deps.users.recordIdentity(user.id, await deps.identityPool.getIdentityId(recorded(ephemeral, 'idToken')));
          return { identityId };
        },
      },
      {
        name: 'attachPolicy',
        async run({ state, ephemeral }) {
          const user = recorded(ephemeral, 'user');
          if (user.policyAttachedAt) return;
          // Read under the operation's lock, so no membership change runs meanwhile: these are the policies AWS holds.
          for (const { policyName } of await deps.entitlements.compile(user.username)) {
            await attachUnlessAttached(deps.iot, policyName, recorded(state, 'identityId'));
          }
          await deps.users.markPolicyAttached(user.id);
        },
      },
    ],
    result: ({ state }) => recorded(state, 'identityId'),
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
