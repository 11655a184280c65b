import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import { retriedLater } from '../../common/errors/retry-later.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { CutoffState } from './disable-user.operation.js';
import type { UserOperationDeps } from './user-operation-deps.js';

export interface DeleteUserParams {
  userId: string;
  username: string;
  policyName: string;
}

/**
 * Removes everything the user owns, in the order AWS requires: devices, the policies' attachments,
 * the Cognito identity, the pool user, the row, so a half-finished delete still has a row to find
 * and re-running it finishes the job; the policy's versions and the policy last, as AWS may refuse
 * DeletePolicy for up to five minutes after the detach: the user is gone for the API by then and
 * the step waits for recovery to finish it (RetryLaterError). Every step treats "already gone" as done.
 */
/** What the deletion records: the connections it closed, and the slot policies beyond the user's own. */
export type DeleteUserState = CutoffState & { slotPolicies: string[] };

export function deleteUserOperation(deps: UserOperationDeps): PersistedOperation<DeleteUserParams, void, DeleteUserState> {
  const { users, teardown } = deps;
  return {
    kind: 'delete-user',
    onFailure: 'finish',
    steps: () => [
      // Sign-ins stop first, so none re-attaches the policy while the rest is taken apart; the mark
      // stays, so a deletion that stops mid-way can only be repeated, never undone by an enable.
      { name: 'markDeleting', run: ({ params }) => users.markDeletionStarted(params.username) },
      { name: 'deleteDevices', run: ({ params }) => deps.devices.deleteAllOfUser(params.username) },
      {
        // Every target AWS lists, not only the recorded identity: an attach whose record was lost still goes.
        // Also the slots the user's sites added (`<policy>.2` ...), named while the memberships still exist.
        name: 'detachPolicy',
        async run({ params }) {
          const slotPolicies = (await deps.entitlements.compileHeld(params.username))
            .map((policy) => policy.policyName)
            .filter((name) => name !== params.policyName);
          for (const name of [params.policyName, ...slotPolicies]) await teardown.detachPolicyFromAll(name);
          return { slotPolicies };
        },
      },
      {
        // With the policy detached from every target nothing can reconnect; the devices' connections were closed by their own deletions.
        name: 'closeConnections',
        async run({ params }) {
          const user = await users.findByUsername(params.username);
          const target = { clientId: params.username, cleanSession: true, ...(user?.identityId ? { identityId: user.identityId } : {}) };
          return { connections: await deps.cutoff.close([target], 'delete-user') };
        },
      },
      {
        name: 'deleteIdentity',
        async run({ params }) {
          const user = await users.findByUsername(params.username);
          if (user?.identityId) await deps.identityPool.deleteIdentity(user.identityId);
        },
      },
      { name: 'deletePoolUser', run: ({ params }) => ignoreNotFound(deps.userPool.deleteUser(params.username)) },
      { name: 'deleteRow', run: ({ params }) => users.delete(params.userId) },
      // After deleteRow (its memberships going with it) no request can repeat the deletion: a failure here waits for recovery too.
      {
        name: 'deletePolicy',
        async run({ params, state }) {
          for (const name of [params.policyName, ...(state.slotPolicies ?? [])]) await retriedLater(teardown.deletePolicy(name));
        },
      },
    ],
    result: () => undefined,
  };
}
