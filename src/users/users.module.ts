import { Module } from '@nestjs/common';
import { ConnectionCutoffModule } from '../connection-cutoff/connection-cutoff.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { CredentialCacheModule } from '../credential-cache/credential-cache.module.js';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { UserOperations } from './operations/user-operations.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [DevicesModule, CredentialCacheModule, ConnectionCutoffModule, EntitlementsModule],
  controllers: [UsersController],
  providers: [UsersRepository, UserOperations, UsersService],
  exports: [UsersRepository],
})
export class UsersModule {}
