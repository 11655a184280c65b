import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { MqttModule } from '../mqtt/mqtt.module.js';
import { UsersModule } from '../users/users.module.js';
import { CredentialCacheModule } from '../credential-cache/credential-cache.module.js';
import { CredentialVendor } from './credential-vendor.js';
import { IdentityLinker } from './identity-linker.js';
import { MqttSettings } from './mqtt-settings.js';
import { SessionOperations } from './operations/session-operations.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';
import { SignInFailuresRepository } from './sign-in-failures.repository.js';
import { SignInLimiter } from './sign-in-limiter.js';

@Module({
  imports: [UsersModule, CredentialCacheModule, MqttModule, EntitlementsModule],
  controllers: [SessionsController],
  providers: [SessionsService, CredentialVendor, SessionOperations, IdentityLinker, MqttSettings, SignInLimiter, SignInFailuresRepository],
})
export class SessionsModule {}
