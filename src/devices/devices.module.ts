import { Module } from '@nestjs/common';
import { UserDeviceCleanup } from './user-device-cleanup.js';

// Placeholder binding until the devices feature lands; replaced by DevicesService.
@Module({
  providers: [{ provide: UserDeviceCleanup, useValue: { deleteAllOfUser: async () => undefined } }],
  exports: [UserDeviceCleanup],
})
export class DevicesModule {}
