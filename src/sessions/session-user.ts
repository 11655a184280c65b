import { DomainError } from '../common/errors/domain-error.js';
import { userBeingDeleted } from '../common/errors/user-being-deleted.js';
import type { SessionUser } from '../users/users.repository.js';

/**
 * The row of a user who may get credentials: provisioned by this service for this very Cognito
 * user (`sub`, when known, must match: a recreated username is another person), active, and not
 * being deleted (a deletion that stopped mid-way has taken its policy already).
 */
export function usableUser(user: SessionUser | null, sub?: string): SessionUser {
  if (!user || (sub !== undefined && user.cognitoSub !== sub)) {
    throw new DomainError('FORBIDDEN', 'This user has no IoT access provisioned by this service', { reason: 'NOT_PROVISIONED' });
  }
  if (user.deletionStartedAt) throw userBeingDeleted(user.username);
  if (user.status !== 'ACTIVE') throw new DomainError('FORBIDDEN', 'The user is disabled', { reason: 'USER_DISABLED' });
  return user;
}
