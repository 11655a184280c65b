import { DomainError } from '../common/errors/domain-error.js';
import type { VerifiedUser } from '../auth/token-verifier.js';
import type { DeviceOwner } from './devices.repository.js';

/**
 * The row of the signed-in app user, provisioned by this service for this very Cognito user
 * (the token's `sub` must match the row's: a recreated username is another person) and active.
 * The same answers as the credentials routes give.
 */
export function appOwner(owner: DeviceOwner | null, caller: VerifiedUser): DeviceOwner {
  if (!owner || owner.cognitoSub !== caller.sub) {
    throw new DomainError('FORBIDDEN', 'This user has no IoT access provisioned by this service', { reason: 'NOT_PROVISIONED' });
  }
  if (owner.status !== 'ACTIVE') throw new DomainError('FORBIDDEN', 'The user is disabled', { reason: 'USER_DISABLED' });
  return owner;
}
