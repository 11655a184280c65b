import { Module } from '@nestjs/common';
import { ConnectionCutoffModule } from '../connection-cutoff/connection-cutoff.module.js';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { ClaimRedeemLimiter } from './claims/claim-redeem-limiter.js';
import { DeviceClaimsController } from './claims/device-claims.controller.js';
import { DeviceClaimsRepository } from './claims/device-claims.repository.js';
import { DeviceClaimsService } from './claims/device-claims.service.js';
import { DeviceCertificatesController } from './device-certificates.controller.js';
import { DeviceCertificatesService } from './device-certificates.service.js';
import { DevicesController } from './devices.controller.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { ExpiringCertificatesController } from './expiring-certificates.controller.js';
import { MeController } from './me.controller.js';
import { MeService } from './me.service.js';
import { MyDeviceCertificatesController } from './my-device-certificates.controller.js';
import { MyDevicesController } from './my-devices.controller.js';
import { DeviceOperations } from './operations/device-operations.js';
import { SiteDeviceCertificatesController } from './site-device-certificates.controller.js';
import { SiteDeviceCleanup } from './site-device-cleanup.js';
import { SiteDevicesController } from './site-devices.controller.js';
import { SiteDevicesService } from './site-devices.service.js';
import { UserDeviceCleanup } from './user-device-cleanup.js';

@Module({
  imports: [MqttModule, ConnectionCutoffModule, EntitlementsModule],
  controllers: [
    DevicesController,
    DeviceCertificatesController,
    MeController,
    MyDevicesController,
    MyDeviceCertificatesController,
    ExpiringCertificatesController,
    DeviceClaimsController,
    SiteDevicesController,
    SiteDeviceCertificatesController,
  ],
  providers: [
    DevicesRepository,
    DeviceOperations,
    DevicesService,
    MeService,
    DeviceCertificatesService,
    DeviceClaimsRepository,
    ClaimRedeemLimiter,
    DeviceClaimsService,
    SiteDevicesService,
    { provide: UserDeviceCleanup, useExisting: DevicesService },
    { provide: SiteDeviceCleanup, useExisting: SiteDevicesService },
  ],
  exports: [UserDeviceCleanup, SiteDeviceCleanup],
})
export class DevicesModule {}
