import type { AwsScope } from '../../aws/aws-scope.service.js';
import type { ConnectionCutoff } from '../../connection-cutoff/connection-cutoff.js';
import type { IdentityPoolPort } from '../../aws/identity-pool.port.js';
import type { IotTeardown } from '../../aws/iot-teardown.js';
import type { IotPort } from '../../aws/iot.port.js';
import type { UserPoolPort } from '../../aws/user-pool.port.js';
import type { UserDeviceCleanup } from '../../devices/user-device-cleanup.js';
import type { Entitlements } from '../../entitlements/entitlements.js';
import type { UsersRepository } from '../users.repository.js';

/** What the user operations (create, disable, enable, delete) work with; UserOperations builds it. */
export interface UserOperationDeps {
  users: UsersRepository;
  userPool: UserPoolPort;
  identityPool: IdentityPoolPort;
  iot: IotPort;
  teardown: IotTeardown;
  /** Closes the live connections of a principal whose access was just taken away. */
  cutoff: ConnectionCutoff;
  scope: AwsScope;
  devices: UserDeviceCleanup;
  /** The user's slot policies: their own, plus those their sites need. */
  entitlements: Entitlements;
}
