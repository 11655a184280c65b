import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { CutoffState } from './disable-user.operation.js';
import type { UserOperationDeps } from './user-operation-deps.js';

export interface DeleteUserParams {
  userId: string;
  username: string;
  policyName: string;
}

/**
 * Removes everything the user owns, in the order AWS requires: devices, the policy's attachments,
 * its versions and itself, the Cognito identity, the pool user, and the row last, so a half-finished
 * delete still has a row to find and re-running it finishes the job. Every step treats "already
 * gone" as done.
 */
export function deleteUserOperation(deps: UserOperationDeps): PersistedOperation<DeleteUserParams, void, CutoffState> {
  const { users, teardown } = deps;
  return {
    kind: 'delete-user',
    onFailure: 'finish',
    steps: () => [
      // Sign-ins stop first, so none re-attaches the policy while the rest is taken apart.
      { name: 'markDisabled', run: ({ params }) => users.setStatus(params.username, 'DISABLED') },
      { name: 'deleteDevices', run: ({ params }) => deps.devices.deleteAllOfUser(params.username) },
      // Every target AWS lists, not only the recorded identity: an attach whose record was lost still goes.
      { name: 'detachPolicy', run: ({ params }) => teardown.detachPolicyFromAll(params.policyName) },
      { name: 'deletePolicy', run: ({ params }) => teardown.deletePolicy(params.policyName) },
      {
        // With the policy gone nothing can reconnect; the devices' connections were closed by their own deletions.
        name: 'closeConnections',
        async run({ params }) {
          const user = await users.findByUsername(params.username);
          const target = { clientId: params.username, cleanSession: true, ...(user?.identityId ? { identityId: user.identityId } : {}) };
          return { connections: await deps.cutoff.close([target]) };
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
    ],
    result: () => undefined,
  };
}
