import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { compileEntitlements, type CompiledPolicy, type SiteGrant } from '../policy/entitlements.js';
import { EntitlementsRepository } from './entitlements.repository.js';

/**
 * The IoT policies a user should hold, compiled from their own grant and their sites. Attached to
 * the user's Cognito identity (sessions, sites) and returned by the custom authorizer, so every
 * kind of app gets the same rights.
 */
@Injectable()
export class Entitlements {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scope: AwsScope,
    private readonly repository: EntitlementsRepository,
  ) {}

  /** What the user's memberships compile to now. */
  async compile(username: string): Promise<CompiledPolicy[]> {
    return this.compileGrants(username, await this.repository.grantsOf(username));
  }

  /**
   * What the user's policies in AWS grant now: every membership row, those of sites being deleted
   * too until the deletion has taken them off this user. The slot policies a disable detaches and
   * a deletion removes.
   */
  async compileHeld(username: string): Promise<CompiledPolicy[]> {
    return this.compileGrants(username, await this.repository.grantsOf(username, true));
  }

  /** What the given grants would compile to; throws CONFLICT (POLICY_LIMIT) when they cannot fit. */
  async compileGrants(username: string, grants: SiteGrant[]): Promise<CompiledPolicy[]> {
    return compileEntitlements({ scope: await this.scope.policyScope(), prefix: this.config.resourcePrefix, username, sites: grants });
  }

  /** The user's grants; with `withDeletingSites`, those of sites being deleted too (see compileHeld). */
  grantsOf(username: string, withDeletingSites = false): Promise<SiteGrant[]> {
    return this.repository.grantsOf(username, withDeletingSites);
  }
}
