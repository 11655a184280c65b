import { Global, Module } from '@nestjs/common';
import { ConnectionCutoffModule } from '../connection-cutoff/connection-cutoff.module.js';
import { OperationRunner } from './operation-runner.js';
import { OperationsController } from './operations.controller.js';
import { OperationsRepository } from './operations.repository.js';
import { RecoveryService } from './recovery.service.js';

@Global()
@Module({
  // Recovery's pass also retries the cut-offs operations could not make.
  imports: [ConnectionCutoffModule],
  controllers: [OperationsController],
  providers: [OperationsRepository, OperationRunner, RecoveryService],
  exports: [OperationRunner, RecoveryService],
})
export class OperationsModule {}
