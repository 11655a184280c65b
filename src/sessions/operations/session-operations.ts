import { Injectable } from '@nestjs/common';
import { IdentityPoolPort } from '../../aws/identity-pool.port.js';
import { IotPort } from '../../aws/iot.port.js';
import { Entitlements } from '../../entitlements/entitlements.js';
import { OperationRunner } from '../../operations/operation-runner.js';
import { UsersRepository } from '../../users/users.repository.js';
import { linkIdentityOperation } from './link-identity.operation.js';

/** The sessions feature's operation (a first sign-in's link), built once and registered at boot so that recovery finds it by kind. */
@Injectable()
export class SessionOperations {
  readonly linkIdentity;

  constructor(users: UsersRepository, identityPool: IdentityPoolPort, iot: IotPort, entitlements: Entitlements, runner: OperationRunner) {
    this.linkIdentity = linkIdentityOperation({ users, identityPool, iot, entitlements });
    runner.register(this.linkIdentity);
  }
}
