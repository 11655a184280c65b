import type { OperationDefinition } from '../operations/operation.types.js';
import { renderPolicy, userPolicyDocument } from '../policy/documents.js';
import { unlessGone, type UserOperationDeps } from './user-operation-deps.js';
import type { UserRecord } from './users.repository.js';

export interface CreateUserParams {
  /** Chosen up front, so an undo removes exactly the row this operation inserted. */
  userId: string;
  username: string;
  email?: string;
  sendInvite: boolean;
  policyName: string;
}

/** Passed as the run's ephemeral values: a temporary password is never persisted. */
export interface CreateUserSecrets {
  temporaryPassword?: string;
}

/** The Cognito user, then its IoT policy, then the row; a failure undoes what was done, in reverse. */
export function createUserOperation(deps: UserOperationDeps): OperationDefinition<CreateUserParams, UserRecord> {
  return {
    kind: 'create-user',
    onFailure: 'undo',
    steps: () => [
      {
        name: 'createPoolUser',
        async run({ params, ephemeral }) {
          const { temporaryPassword } = ephemeral as CreateUserSecrets;
          const { username, email, sendInvite } = params;
          const created = await deps.userPool.createUser({ username, email, temporaryPassword, sendInvite });
          return { sub: created.sub };
        },
        async undo({ params, state }) {
          // Only a user this run is known to have created: after UsernameExistsException (or a crash
          // mid-call) the pool user may be someone else's, such as an admin created in the console.
          if (state.sub) await unlessGone(deps.userPool.deleteUser(params.username));
        },
      },
      {
        name: 'createPolicy',
        async run({ params }) {
          const document = renderPolicy(userPolicyDocument(await deps.scope.policyScope(), params.username));
          const { policyArn } = await deps.iot.createPolicy(params.policyName, document);
          return { policyArn };
        },
        async undo({ params }) {
          // The name is ours (prefix + username) and no row claims it while this operation holds the
          // user, so a policy of that name is a leftover whether or not this run created it.
          await unlessGone(deps.iot.deletePolicy(params.policyName));
        },
      },
      {
        name: 'createRow',
        async run({ params, state, ephemeral }) {
          const { userId: id, username, email, policyName } = params;
          const row = await deps.users.create({ id, username, email, policyName, cognitoSub: state.sub as string });
          ephemeral.row = row;
          return { userId: row.id };
        },
        async undo({ params }) {
          await deps.users.delete(params.userId);
        },
      },
    ],
    result: ({ ephemeral }) => ephemeral.row as UserRecord,
  };
}
