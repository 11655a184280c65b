import { Inject, Injectable } from '@nestjs/common';
import { ConnectionCutoff } from '../../connection-cutoff/connection-cutoff.js';
import { IotTeardown } from '../../aws/iot-teardown.js';
import { IotPort } from '../../aws/iot.port.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { SiteDeviceCleanup } from '../../devices/site-device-cleanup.js';
import { Entitlements } from '../../entitlements/entitlements.js';
import { OperationRunner } from '../../operations/operation-runner.js';
import { UsersRepository } from '../../users/users.repository.js';
import { MembershipQueue } from '../membership-queue.js';
import { SitesRepository } from '../sites.repository.js';
import { changeMembershipOperation, type ChangeMembershipParams, type MembershipChangeResult } from './change-membership.operation.js';
import { deleteSiteOperation } from './delete-site.operation.js';
import { planMembershipChange, type PlannedChange } from './membership-plan.js';
import type { SiteOperationDeps } from './site-operation-deps.js';

/**
 * A site deletion takes the site off each member through that member's own change: it waits this
 * long for an operation holding the member, then stops (repeating the deletion goes on from there),
 * so a recovery pass is never held up for long behind an operation it has yet to recover.
 */
const MEMBER_WAIT_MS = 2000;

/** The site operations, built once and registered at boot so that recovery finds them by kind after a crash. */
@Injectable()
export class SiteOperations {
  readonly changeMembership;
  readonly deleteSite;
  private readonly deps: SiteOperationDeps;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    sites: SitesRepository,
    users: UsersRepository,
    entitlements: Entitlements,
    iot: IotPort,
    teardown: IotTeardown,
    cutoff: ConnectionCutoff,
    devices: SiteDeviceCleanup,
    runner: OperationRunner,
    private readonly queue: MembershipQueue,
  ) {
    this.deps = {
      prefix: config.resourcePrefix,
      sites,
      users,
      entitlements,
      iot,
      teardown,
      cutoff,
      devices,
      changeMembership: (params) => this.apply(params, MEMBER_WAIT_MS),
    };
    this.changeMembership = changeMembershipOperation(this.deps);
    this.deleteSite = deleteSiteOperation(this.deps);
    runner.register(this.changeMembership, this.deleteSite);
  }

  /** Runs a membership change, queued behind the user's earlier ones. */
  apply(params: ChangeMembershipParams, waitMs?: number): Promise<MembershipChangeResult> {
    return this.queue.run(this.changeMembership, params.username, params, waitMs);
  }

  /** What the change would do, read now and changing nothing (a dry run). */
  plan(params: ChangeMembershipParams): Promise<PlannedChange> {
    return planMembershipChange(this.deps, params);
  }
}
