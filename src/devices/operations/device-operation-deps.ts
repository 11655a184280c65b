import type { AwsScope } from '../../aws/aws-scope.service.js';
import type { ConnectionCutoff } from '../../connection-cutoff/connection-cutoff.js';
import type { IotTeardown } from '../../aws/iot-teardown.js';
import type { IotPort } from '../../aws/iot.port.js';
import type { DevicesRepository } from '../devices.repository.js';

/** What the device operations (registration, rotation, revocation, deletion) work with; DeviceOperations builds it. */
export interface DeviceOperationDeps {
  iot: IotPort;
  teardown: IotTeardown;
  /** Closes the live connections of a principal whose access was just taken away. */
  cutoff: ConnectionCutoff;
  devices: DevicesRepository;
  scope: AwsScope;
  prefix: string;
  /** MAX_DEVICES_PER_USER: registration refuses a device beyond it. */
  maxDevicesPerUser: number;
  /** MAX_DEVICES_PER_SITE: the same for a site. */
  maxDevicesPerSite: number;
}
