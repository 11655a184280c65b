import type { PersistedOperation } from '../../operations/kinds.js';
import type { UserAccessParams } from './disable-user.operation.js';
import type { UserOperationDeps } from './user-operation-deps.js';

/**
 * Undoes a disable. The IoT policy is attached again lazily, at the user's next sign-in. A cut-off
 * of the disable that recovery still retries is dropped first, before the user can sign in and
 * connect again: it would otherwise close the new connection.
 */
export function enableUserOperation(deps: UserOperationDeps): PersistedOperation<UserAccessParams, void> {
  return {
    kind: 'enable-user',
    onFailure: 'finish',
    steps: () => [
      { name: 'cancelPendingCutoffs', run: ({ params }) => deps.cutoff.cancel([params.username]) },
      { name: 'enablePoolUser', run: ({ params }) => deps.userPool.enableUser(params.username) },
      { name: 'markActive', run: ({ params }) => deps.users.setStatus(params.username, 'ACTIVE') },
    ],
    result: () => undefined,
  };
}
