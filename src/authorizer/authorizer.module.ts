import { Module } from '@nestjs/common';
import { PrincipalsModule } from '../authz/principals.module.js';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { AuthorizerCallerGuard } from './authorizer-caller.guard.js';
import { AuthorizerController } from './authorizer.controller.js';
import { AuthorizerService } from './authorizer.service.js';

@Module({
  imports: [PrincipalsModule, EntitlementsModule],
  controllers: [AuthorizerController],
  providers: [AuthorizerService, AuthorizerCallerGuard],
  exports: [AuthorizerService],
})
export class AuthorizerModule {}
