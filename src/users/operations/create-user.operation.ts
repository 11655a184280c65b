import { createOrAdoptPolicy } from '../../aws/iot-policy-creation.js';
import { DomainError, isDomainError } from '../../common/errors/domain-error.js';
import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import { renderPolicy, userPolicyDocument } from '../../policy/documents.js';
import type { UserRecord } from '../users.repository.js';
import type { UserOperationDeps } from './user-operation-deps.js';

export interface CreateUserParams {
  /** Chosen up front, so an undo removes exactly the row this operation inserted. */
  userId: string;
  username: string;
  email?: string;
  sendInvite: boolean;
  policyName: string;
}

export type CreateUserState = {
  poolUserAbsent: boolean;
  sub: string;
  policyArn: string;
  userId: string;
};

/** Passed as the run's ephemeral values: a temporary password is never persisted. */
export interface CreateUserSecrets {
  temporaryPassword?: string;
  /** AdminCreateUser said the name is taken: someone else's user, never to be undone. */
  poolUserTaken?: boolean;
  row?: UserRecord;
}

/**
 * The pool user, then its IoT policy, then the row; a failure undoes what was done, in reverse.
 * The pool is asked first whether the name is free, and the answer recorded. The pool user is
 * marked with the row id chosen up front (USER_ID_ATTRIBUTE), so when AdminCreateUser's answer is
 * lost (a timeout after Cognito acted, the SDK resending, a process killed mid-call) the run that
 * hears "already exists" and the undo both recognise the user as this run's. A policy with the
 * intended document is recognised the same way.
 */
export function createUserOperation(deps: UserOperationDeps): PersistedOperation<CreateUserParams, UserRecord, CreateUserState, CreateUserSecrets> {
  return {
    kind: 'create-user',
    onFailure: 'undo',
    steps: () => [
      {
        name: 'checkPoolUser',
        async run({ params }) {
          if (await deps.userPool.userExists(params.username)) {
            // What AdminCreateUser would answer: someone made this user outside the service (the console).
            throw DomainError.conflict(`User ${params.username} already exists in the Cognito user pool`, {
              username: params.username,
              awsError: 'UsernameExistsException',
            });
          }
          return { poolUserAbsent: true };
        },
      },
      {
        name: 'createPoolUser',
        async run({ params, ephemeral }) {
          const { userId, username, email, sendInvite } = params;
          try {
            const created = await deps.userPool.createUser({ username, email, temporaryPassword: ephemeral.temporaryPassword, sendInvite, userId });
            return { sub: created.sub };
          } catch (error) {
            if (!isDomainError(error, 'CONFLICT')) throw error;
            // An earlier attempt whose answer was lost (the SDK resent it) made this user: it carries our row id.
            const existing = await deps.userPool.findUser(username);
            if (existing?.userId === userId) return { sub: existing.sub };
            // Created by someone else since the check: theirs, never to be undone.
            ephemeral.poolUserTaken = true;
            throw error;
          }
        },
        async undo({ params, state, ephemeral }) {
          // Created by this run (sub recorded), or possibly (no answer), the name having been free before it.
          if (ephemeral.poolUserTaken || !(state.sub || state.poolUserAbsent)) return;
          const existing = await deps.userPool.findUser(params.username);
          // Another row id in the marker: another's user, made after this run's attempt failed for good.
          if (!existing || (existing.userId !== undefined && existing.userId !== params.userId)) return;
          await ignoreNotFound(deps.userPool.deleteUser(params.username));
        },
      },
      {
        name: 'createPolicy',
        async run({ params }) {
          const document = renderPolicy(userPolicyDocument(await deps.scope.policyScope(), params.username));
          // A policy with the intended document is this operation's own, made by an attempt whose answer was lost.
          const { policyArn } = await createOrAdoptPolicy(deps.iot, params.policyName, document);
          return { policyArn };
        },
        async undo({ params }) {
          // The name is ours (prefix + username) and no row claims it while this operation holds the
          // user, so a policy of that name is a leftover whether or not this run created it. Made by
          // this operation a moment ago, it has one version and no target: DeletePolicy alone removes it.
          await ignoreNotFound(deps.iot.deletePolicy(params.policyName));
        },
      },
      {
        name: 'createRow',
        async run({ params, state, ephemeral }) {
          const { userId: id, username, email, policyName } = params;
          const row = await deps.users.create({ id, username, email, policyName, cognitoSub: recorded(state, 'sub') });
          ephemeral.row = row;
          return { userId: row.id };
        },
        async undo({ params }) {
          await deps.users.delete(params.userId);
        },
      },
    ],
    result: ({ ephemeral }) => recorded(ephemeral, 'row'),
  };
}
