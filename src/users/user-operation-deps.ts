import type { AwsScope } from '../aws/aws-scope.service.js';
import type { IdentityPoolPort } from '../aws/identity-pool.port.js';
import type { IotPort } from '../aws/iot.port.js';
import type { UserPoolPort } from '../aws/user-pool.port.js';
import { isDomainError } from '../common/errors/domain-error.js';
import type { UserDeviceCleanup } from '../devices/user-device-cleanup.js';
import type { UsersRepository } from './users.repository.js';

/** What the user operations (create, disable, enable, delete) work with. */
export interface UserOperationDeps {
  users: UsersRepository;
  userPool: UserPoolPort;
  identityPool: IdentityPoolPort;
  iot: IotPort;
  scope: AwsScope;
  devices: UserDeviceCleanup;
}

/** The operation subject of a user: one operation at a time may change it, across replicas. */
export function userSubject(username: string): string {
  return `user:${username}`;
}

/** Removals are re-runnable: what AWS no longer has counts as removed. */
export async function unlessGone(removal: Promise<void>): Promise<void> {
  try {
    await removal;
  } catch (error) {
    if (!isDomainError(error, 'NOT_FOUND')) throw error;
  }
}
