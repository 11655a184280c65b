import { Module } from '@nestjs/common';
import { CredentialCacheModule } from '../credential-cache/credential-cache.module.js';
import { AwsInventoryReader } from './aws-inventory.js';
import { DriftController } from './drift.controller.js';
import { DriftRepairs } from './drift-repairs.js';
import { DriftRepository } from './drift.repository.js';
import { DriftScanner } from './drift-scanner.js';
import { DriftService } from './drift.service.js';
import { DriftOperations } from './operations/drift-operations.js';
import { PolicyClaims } from './policy-claims.js';

/** GET /v1/admin/drift and POST /v1/admin/drift/repair. Repairs remove through IotTeardown (src/aws), as device deletion does. */
@Module({
  imports: [CredentialCacheModule],
  controllers: [DriftController],
  providers: [DriftRepository, PolicyClaims, AwsInventoryReader, DriftScanner, DriftOperations, DriftRepairs, DriftService],
})
export class DriftModule {}
