import { Module } from '@nestjs/common';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { DeviceCertificatesController } from './device-certificates.controller.js';
import { DeviceCertificatesService } from './device-certificates.service.js';
import { DevicesController } from './devices.controller.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { MyDevicesController } from './my-devices.controller.js';
import { DeviceOperations } from './operations/device-operations.js';
import { UserDeviceCleanup } from './user-device-cleanup.js';

@Module({
  imports: [MqttModule],
  controllers: [DevicesController, DeviceCertificatesController, MyDevicesController],
  providers: [
    DevicesRepository,
    DeviceOperations,
    DevicesService,
    DeviceCertificatesService,
    { provide: UserDeviceCleanup, useExisting: DevicesService },
  ],
  exports: [UserDeviceCleanup],
})
export class DevicesModule {}
