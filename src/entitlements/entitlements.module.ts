import { Module } from '@nestjs/common';
import { EntitlementsRepository } from './entitlements.repository.js';
import { Entitlements } from './entitlements.js';

/** Compiled IoT policies per user: read by sessions, the authorizer, authz, users and sites. */
@Module({
  providers: [EntitlementsRepository, Entitlements],
  exports: [Entitlements],
})
export class EntitlementsModule {}
