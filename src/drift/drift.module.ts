import { Module } from '@nestjs/common';
import { DeviceResources } from '../devices/device-resources.js';
import { CredentialCacheModule } from '../sessions/credential-cache.module.js';
import { AwsInventoryReader } from './aws-inventory.js';
import { DriftController } from './drift.controller.js';
import { DriftRepairs } from './drift-repairs.js';
import { DriftRepository } from './drift.repository.js';
import { DriftService } from './drift.service.js';

/**
 * GET /v1/admin/drift and POST /v1/admin/drift/repair. DeviceResources (stateless, over IotPort) is
 * provided here too rather than exported by the devices module, so repairs remove resources with
 * the very helpers device deletion uses without depending on the devices module's wiring.
 */
@Module({
  imports: [CredentialCacheModule],
  controllers: [DriftController],
  providers: [DriftRepository, AwsInventoryReader, DeviceResources, DriftRepairs, DriftService],
})
export class DriftModule {}
