import { Module } from '@nestjs/common';
import { AuthorizerModule } from '../authorizer/authorizer.module.js';
import { AuthzController } from './authz.controller.js';
import { AuthzService } from './authz.service.js';
import { PrincipalsModule } from './principals.module.js';

/**
 * Authorization features: the admin dry-run check here, and the AWS IoT custom authorizer
 * (imported, so the app module wires both with one entry).
 */
@Module({
  imports: [PrincipalsModule, AuthorizerModule],
  controllers: [AuthzController],
  providers: [AuthzService],
})
export class AuthzModule {}
