import { Injectable } from '@nestjs/common';
import { IotTeardown } from '../../aws/iot-teardown.js';
import { IotPort } from '../../aws/iot.port.js';
import { UserPoolPort } from '../../aws/user-pool.port.js';
import { OperationRunner } from '../../operations/operation-runner.js';
import { DriftRepository } from '../drift.repository.js';
import { PolicyClaims } from '../policy-claims.js';
import { deleteOrphanCertificate } from './drift-delete-certificate.operation.js';
import { deleteOrphanCognitoUser } from './drift-delete-cognito-user.operation.js';
import { deleteOrphanPolicy } from './drift-delete-policy.operation.js';
import { deleteOrphanThing } from './drift-delete-thing.operation.js';
import { recreateUserPolicy } from './drift-recreate-policy.operation.js';
import { deleteUnattachedCertificate } from './drift-delete-unattached-certificate.operation.js';
import { detachOrphanAttachment } from './drift-detach.operation.js';

/** The repairs, built once and registered at boot so that recovery can finish a repair whose process stopped. */
@Injectable()
export class DriftOperations {
  readonly thing;
  readonly policy;
  readonly certificate;
  readonly attachment;
  readonly unattached;
  readonly poolUser;
  readonly recreatePolicy;

  constructor(iot: IotPort, userPool: UserPoolPort, teardown: IotTeardown, records: DriftRepository, claims: PolicyClaims, runner: OperationRunner) {
    const deps = { iot, userPool, teardown, records, claims };
    this.thing = deleteOrphanThing(deps);
    this.policy = deleteOrphanPolicy(deps);
    this.certificate = deleteOrphanCertificate(deps);
    this.attachment = detachOrphanAttachment(deps);
    this.unattached = deleteUnattachedCertificate(deps);
    this.poolUser = deleteOrphanCognitoUser(deps);
    this.recreatePolicy = recreateUserPolicy(deps);
    runner.register(this.thing, this.policy, this.certificate, this.attachment, this.unattached, this.poolUser, this.recreatePolicy);
  }
}
