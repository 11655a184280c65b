import { DomainError } from './domain-error.js';

/**
 * A user whose deletion has started (its devices and policy may already be gone) can only be
 * deleted: every other route refuses it with this, so nothing hands out access the deletion took away.
 */
export function userBeingDeleted(username: string): DomainError {
  return new DomainError(
    'CONFLICT',
    `User ${username} is being deleted; a deletion that stopped mid-way is finished by repeating DELETE /v1/users/${username}`,
    { reason: 'USER_BEING_DELETED', username },
  );
}
