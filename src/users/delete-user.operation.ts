import type { OperationDefinition } from '../operations/operation.types.js';
import { unlessGone, type UserOperationDeps } from './user-operation-deps.js';

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
export function deleteUserOperation(deps: UserOperationDeps): OperationDefinition<DeleteUserParams, void> {
  const { users, iot } = deps;
  return {
    kind: 'delete-user',
    onFailure: 'finish',
    steps: () => [
      // Sign-ins stop first, so none re-attaches the policy while the rest is taken apart.
      { name: 'markDisabled', run: ({ params }) => users.setStatus(params.username, 'DISABLED') },
      { name: 'deleteDevices', run: ({ params }) => deps.devices.deleteAllOfUser(params.username) },
      {
        name: 'detachPolicy',
        // Every target AWS lists, not only the recorded identity: an attach whose record was lost still goes.
        run: ({ params }) => unlessGone(detachEverywhere(deps, params.policyName)),
      },
      {
        name: 'deletePolicy',
        async run({ params }) {
          await unlessGone(deletePolicyVersions(deps, params.policyName));
          await unlessGone(iot.deletePolicy(params.policyName));
        },
      },
      {
        name: 'deleteIdentity',
        async run({ params }) {
          const user = await users.findByUsername(params.username);
          if (user?.identityId) await deps.identityPool.deleteIdentity(user.identityId);
        },
      },
      { name: 'deletePoolUser', run: ({ params }) => unlessGone(deps.userPool.deleteUser(params.username)) },
      { name: 'deleteRow', run: ({ params }) => users.delete(params.userId) },
    ],
    result: () => undefined,
  };
}

/** Detaches page by page until none is left; always re-reads the first page, since detaching shifts the pages. */
async function detachEverywhere({ iot }: UserOperationDeps, policyName: string): Promise<void> {
  for (let page = await iot.listPolicyTargets(policyName); page.items.length > 0; page = await iot.listPolicyTargets(policyName)) {
    for (const target of page.items) await iot.detachPolicy(policyName, target);
  }
}

async function deletePolicyVersions({ iot }: UserOperationDeps, policyName: string): Promise<void> {
  for (const version of await iot.listPolicyVersions(policyName)) {
    if (!version.isDefault) await iot.deletePolicyVersion(policyName, version.versionId);
  }
}
