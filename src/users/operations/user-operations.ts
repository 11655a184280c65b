import { Injectable } from '@nestjs/common';
import { AwsScope } from '../../aws/aws-scope.service.js';
import { ConnectionCutoff } from '../../connection-cutoff/connection-cutoff.js';
import { IdentityPoolPort } from '../../aws/identity-pool.port.js';
import { IotTeardown } from '../../aws/iot-teardown.js';
import { IotPort } from '../../aws/iot.port.js';
import { UserPoolPort } from '../../aws/user-pool.port.js';
import { UserDeviceCleanup } from '../../devices/user-device-cleanup.js';
import { Entitlements } from '../../entitlements/entitlements.js';
import { OperationRunner } from '../../operations/operation-runner.js';
import { UsersRepository } from '../users.repository.js';
import { createUserOperation } from './create-user.operation.js';
import { deleteUserOperation } from './delete-user.operation.js';
import { disableUserOperation } from './disable-user.operation.js';
import { enableUserOperation } from './enable-user.operation.js';

/** The user operations, built once and registered at boot so that recovery finds them by kind after a crash. */
@Injectable()
export class UserOperations {
  readonly createUser;
  readonly disableUser;
  readonly enableUser;
  readonly deleteUser;

  constructor(
    users: UsersRepository,
    userPool: UserPoolPort,
    identityPool: IdentityPoolPort,
    iot: IotPort,
    teardown: IotTeardown,
    cutoff: ConnectionCutoff,
    scope: AwsScope,
    devices: UserDeviceCleanup,
    entitlements: Entitlements,
    runner: OperationRunner,
  ) {
    const deps = { users, userPool, identityPool, iot, teardown, cutoff, scope, devices, entitlements };
    this.createUser = createUserOperation(deps);
    this.disableUser = disableUserOperation(deps);
    this.enableUser = enableUserOperation(deps);
    this.deleteUser = deleteUserOperation(deps);
    runner.register(this.createUser, this.disableUser, this.enableUser, this.deleteUser);
  }
}
