import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { AuthzController } from './authz.controller.js';
import { AuthzService } from './authz.service.js';
import { PrincipalsModule } from './principals.module.js';

/** The admin dry-run check. The custom authorizer (src/authorizer) reads the same principals and is wired by the app module. */
@Module({
  imports: [PrincipalsModule, EntitlementsModule],
  controllers: [AuthzController],
  providers: [AuthzService],
})
export class AuthzModule {}
