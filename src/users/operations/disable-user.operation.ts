import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { CutoffReport } from '../../connection-cutoff/connection-cutoff.js';
import type { PersistedOperation } from '../../operations/kinds.js';

import type { UserOperationDeps } from './user-operation-deps.js';

/** What a closeConnections step records: which client ids were closed, not connected, or left to recovery's retries. */
export type CutoffState = { connections: CutoffReport };

export interface UserAccessParams {
  username: string;
}

/**
 * For a lost phone: the row first (this service stops vending at once), then the IoT policy off
 * the identity, then Cognito (no new tokens, refresh tokens revoked; with the identity pool's
 * server-side token check, no new credentials for the old ID tokens either). Detaching the policy
 * does not cut MQTT at once: AWS IoT caches policies, and "changes made to a policy can take
 * anywhere between 6 and 8 minutes to become effective" (IoT developer guide, "AWS IoT Core
 * policies"), so the last step closes the user's live connection (DeleteConnection, best effort:
 * reported in its output, and retried by recovery when it fails). Every step is idempotent, so a failed disable is finished by repeating it.
 */
export function disableUserOperation(deps: UserOperationDeps): PersistedOperation<UserAccessParams, void, CutoffState> {
  return {
    kind: 'disable-user',
    onFailure: 'finish',
    steps: () => [
      // Whole seconds, as a token's iat: a token issued in this very second still passes, one issued
      // before it never does (the global sign-out below revokes the refresh tokens that would mint more).
      { name: 'markDisabled', run: ({ params }) => deps.users.markDisabled(params.username, new Date(Math.floor(Date.now() / 1000) * 1000)) },
      {
        name: 'detachPolicy',
        async run({ params }) {
          // Read under the operation's lock: a first sign-in that finished just before still counts.
          const user = await deps.users.getByUsername(params.username);
          // Every slot the user holds: their own policy and those their sites added.
          const policies = await deps.entitlements.compileHeld(params.username);
          if (user.identityId) for (const { policyName } of policies) await deps.teardown.detachPolicy(policyName, user.identityId);
          await deps.users.clearPolicyAttached(user.id);
        },
      },
      { name: 'disablePoolUser', run: ({ params }) => ignoreNotFound(deps.userPool.disableUser(params.username)) },
      { name: 'signOutEverywhere', run: ({ params }) => ignoreNotFound(deps.userPool.signOutEverywhere(params.username)) },
      {
        // Last, once nothing can hand out access again: the open connection would otherwise keep it for AWS's policy-cache minutes.
        // AWS closes by client id: `<user>`, the one the service knows; `<user>.<suffix>` ones it cannot list.
        name: 'closeConnections',
        async run({ params }) {
          const user = await deps.users.getByUsername(params.username);
          const target = { clientId: params.username, cleanSession: false, ...(user.identityId ? { identityId: user.identityId } : {}) };
          return { connections: await deps.cutoff.close([target], 'disable-user') };
        },
      },
    ],
    result: () => undefined,
  };
}
