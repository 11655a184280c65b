import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import { IotPort } from '../aws/iot.port.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OperationRunner } from '../operations/operation-runner.js';
import type { OperationDefinition } from '../operations/operation.types.js';
import { certificateRevocation, type RevocationParams } from './certificate-revocation.js';
import { certificateRotation, type Rotation, type RotationParams } from './certificate-rotation.js';
import { deviceDeletion, type DeletionParams } from './device-deletion.js';
import { deviceRegistration, type Registration, type RegistrationParams } from './device-registration.js';
import { DeviceResources } from './device-resources.js';
import { DevicesRepository } from './devices.repository.js';

/** The operation subject: one operation at a time per device, enforced by the database. */
export function deviceSubject(thingName: string): string {
  return `device:${thingName}`;
}

/** The device operations, registered at boot so that recovery finds them by kind after a crash. */
@Injectable()
export class DeviceOperations {
  readonly registration: OperationDefinition<RegistrationParams, Registration>;
  readonly rotation: OperationDefinition<RotationParams, Rotation>;
  readonly revocation: OperationDefinition<RevocationParams, void>;
  readonly deletion: OperationDefinition<DeletionParams, void>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    iot: IotPort,
    resources: DeviceResources,
    devices: DevicesRepository,
    scope: AwsScope,
    runner: OperationRunner,
  ) {
    const deps = { iot, resources, devices, scope, prefix: config.resourcePrefix };
    this.registration = deviceRegistration(deps);
    this.rotation = certificateRotation(deps);
    this.revocation = certificateRevocation(deps);
    this.deletion = deviceDeletion(deps);
    for (const definition of [this.registration, this.rotation, this.revocation, this.deletion]) runner.register(definition);
  }
}
