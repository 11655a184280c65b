import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { RepairDeps } from './repair-deps.js';
import { confirm, outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface CognitoUserParams {
  username: string;
  /** The USER_ID_ATTRIBUTE the scan saw: only that pool user is removed, never one made since under the same name. */
  userId: string;
}

/**
 * Removes a pool user the service created that no row claims. It runs under the user's subject,
 * so no creation of that name runs meanwhile; it asks again first whether a row has the name, and
 * whether the pool user still carries the marker the scan saw.
 */
export function deleteOrphanCognitoUser({ userPool, records }: RepairDeps): PersistedOperation<CognitoUserParams, RepairOutcome, RepairState> {
  return {
    kind: 'drift-delete-cognito-user',
    onFailure: 'finish',
    steps: () => [
      // The pool first, then the rows, as the scan reads them: a creation that made the pool user has its row by then.
      confirm(async ({ username, userId }) => {
        const user = await userPool.findUser(username);
        if (!user) return 'The Cognito user pool no longer has this user';
        if (user.userId !== userId) return 'The Cognito user of this name is not the one the scan found';
        return (await records.userExists(username)) ? 'A user record now has this username' : undefined;
      }),
      whileConfirmed({ name: 'deletePoolUser', run: ({ params }) => ignoreNotFound(userPool.deleteUser(params.username)) }),
    ],
    result: outcome,
  };
}
