import { Global, Module } from '@nestjs/common';
import { OperationRunner } from './operation-runner.js';
import { OperationsController } from './operations.controller.js';
import { OperationsRepository } from './operations.repository.js';
import { RecoveryService } from './recovery.service.js';

@Global()
@Module({
  controllers: [OperationsController],
  providers: [OperationsRepository, OperationRunner, RecoveryService],
  exports: [OperationRunner, RecoveryService],
})
export class OperationsModule {}
