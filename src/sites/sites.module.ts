import { Module } from '@nestjs/common';
import { ConnectionCutoffModule } from '../connection-cutoff/connection-cutoff.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { EntitlementsModule } from '../entitlements/entitlements.module.js';
import { UsersModule } from '../users/users.module.js';
import { MembershipQueue } from './membership-queue.js';
import { MembershipsService } from './memberships.service.js';
import { SiteOperations } from './operations/site-operations.js';
import { SiteMembersController } from './site-members.controller.js';
import { SitesController } from './sites.controller.js';
import { SitesRepository } from './sites.repository.js';
import { SitesService } from './sites.service.js';
import { UserEntitlementsController } from './user-entitlements.controller.js';

@Module({
  imports: [ConnectionCutoffModule, DevicesModule, EntitlementsModule, UsersModule],
  controllers: [SitesController, SiteMembersController, UserEntitlementsController],
  providers: [SitesRepository, MembershipQueue, SiteOperations, SitesService, MembershipsService],
})
export class SitesModule {}
