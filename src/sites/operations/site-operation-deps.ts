import type { ConnectionCutoff } from '../../connection-cutoff/connection-cutoff.js';
import type { IotTeardown } from '../../aws/iot-teardown.js';
import type { IotPort } from '../../aws/iot.port.js';
import type { SiteDeviceCleanup } from '../../devices/site-device-cleanup.js';
import type { Entitlements } from '../../entitlements/entitlements.js';
import type { UsersRepository } from '../../users/users.repository.js';
import type { SitesRepository } from '../sites.repository.js';
import type { ChangeMembershipParams } from './change-membership.operation.js';

/** What the site operations (change-membership, delete-site) work with; SiteOperations builds it. */
export interface SiteOperationDeps {
  /** RESOURCE_PREFIX: the start of every policy name of ours. */
  prefix: string;
  sites: SitesRepository;
  users: UsersRepository;
  entitlements: Entitlements;
  iot: IotPort;
  teardown: IotTeardown;
  /** Closes the live connections of a member whose access was just narrowed. */
  cutoff: ConnectionCutoff;
  devices: SiteDeviceCleanup;
  /** Runs one membership change under its user's subject, queued behind that user's other changes (delete-site uses it per member). */
  changeMembership(params: ChangeMembershipParams): Promise<unknown>;
}
