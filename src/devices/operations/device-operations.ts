import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../../aws/aws-scope.service.js';
import { ConnectionCutoff } from '../../connection-cutoff/connection-cutoff.js';
import { IotTeardown } from '../../aws/iot-teardown.js';
import { IotPort } from '../../aws/iot.port.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { OperationRunner } from '../../operations/operation-runner.js';
import { DevicesRepository } from '../devices.repository.js';
import { deleteDeviceOperation } from './delete-device.operation.js';
import { registerDeviceOperation } from './register-device.operation.js';
import { revokeCertificateOperation } from './revoke-certificate.operation.js';
import { rotateCertificateOperation } from './rotate-certificate.operation.js';

/** The device operations, built once and registered at boot so that recovery finds them by kind after a crash. */
@Injectable()
export class DeviceOperations {
  readonly registration;
  readonly rotation;
  readonly revocation;
  readonly deletion;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    iot: IotPort,
    teardown: IotTeardown,
    cutoff: ConnectionCutoff,
    devices: DevicesRepository,
    scope: AwsScope,
    runner: OperationRunner,
  ) {
    const deps = {
      iot,
      teardown,
      cutoff,
      devices,
      scope,
      prefix: config.resourcePrefix,
      maxDevicesPerUser: config.devices.maxPerUser,
      maxDevicesPerSite: config.devices.maxPerSite,
    };
    this.registration = registerDeviceOperation(deps);
    this.rotation = rotateCertificateOperation(deps);
    this.revocation = revokeCertificateOperation(deps);
    this.deletion = deleteDeviceOperation(deps);
    runner.register(this.registration, this.rotation, this.revocation, this.deletion);
  }
}
