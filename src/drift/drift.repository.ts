import { Injectable } from '@nestjs/common';
import { deviceSubject } from '../operations/subjects.js';
import { PrismaService } from '../persistence/prisma.service.js';
import type { SiteGrant } from '../policy/entitlements.js';
import type { CertificateClaim, PolicyClaim } from './drift-rules.js';
import type { CertificateRow, DeviceRow, RecordRef, RecordTable, UserRow } from './drift.types.js';

/** Ids per statement when marking rows: far below Postgres's 65,535 parameters, whatever the number of ghosts. */
const MARK_BATCH = 1000;

/** A user as judging their further policies needs them. */
export interface GrantedUser {
  username: string;
  identityId: string | null;
  status: 'ACTIVE' | 'DISABLED';
  policyAttached: boolean;
  sites: SiteGrant[];
}

/** A keyset window: rows after `after` (exclusive), up to `upTo` (inclusive) or `limit` rows. */
export interface RowWindow {
  after?: string;
  upTo?: string;
  limit?: number;
}

/**
 * Drift's view of the database, one bounded read at a time: keyset pages of users and devices (only
 * the columns drift compares), batched lookups of who claims a page of names, the subjects of
 * running operations, the re-checks a repair makes under its lock, and the ghost marks. No read
 * loads a whole table.
 */
@Injectable()
export class DriftRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The database's clock: row timestamps come from it, so the scan's start is measured on it too. */
  async now(): Promise<Date> {
    const [row] = await this.prisma.$queryRaw<Array<{ now: Date }>>`SELECT now() AS now`;
    return row!.now;
  }

  /**
   * Users by username; with `only`, that user alone. A username prefix is not matched here: LIKE
   * uses no index under the database's collation, so a prefix scan pages through every row (index
   * reads, a page at a time) and the caller keeps the names that match.
   */
  async users(window: RowWindow, only?: string): Promise<UserRow[]> {
    const rows = await this.prisma.user.findMany({
      where: { username: { ...range(window), ...(only !== undefined ? { equals: only } : {}) } },
      orderBy: { username: 'asc' },
      take: window.limit,
      select: {
        id: true,
        username: true,
        policyName: true,
        identityId: true,
        status: true,
        policyAttachedAt: true,
        driftDetectedAt: true,
        createdAt: true,
        siteMemberships: MEMBERSHIPS,
      },
    });
    return rows.map(({ policyAttachedAt, siteMemberships, ...row }) => ({
      ...row,
      policyAttached: policyAttachedAt !== null,
      sites: sitesOf(siteMemberships),
    }));
  }

  /**
   * Devices by thing name, users' and sites', with their owner (a site device's is the site's
   * name); with `only`, that user's alone (as for users), so no site device.
   */
  async devices(window: RowWindow, only?: string): Promise<DeviceRow[]> {
    const rows = await this.prisma.device.findMany({
      where: { thingName: range(window), ...(only !== undefined ? { user: { username: only } } : {}) },
      orderBy: { thingName: 'asc' },
      take: window.limit,
      select: {
        id: true,
        name: true,
        thingName: true,
        policyName: true,
        driftDetectedAt: true,
        createdAt: true,
        user: { select: { username: true } },
        site: { select: { name: true } },
      },
    });
    return rows.map(({ user, site, ...row }) => ({ ...row, ...ownerOf(user, site) }));
  }

  /** The certificates of these devices (a page of them). */
  async certificatesOf(devices: DeviceRow[]): Promise<CertificateRow[]> {
    if (devices.length === 0) return [];
    const byId = new Map(devices.map((device) => [device.id, device]));
    const rows = await this.prisma.certificate.findMany({
      where: { deviceId: { in: [...byId.keys()] } },
      select: { id: true, deviceId: true, certificateId: true, certificateArn: true, status: true, driftDetectedAt: true, createdAt: true },
    });
    return rows.map(({ deviceId, ...row }) => {
      const device = byId.get(deviceId)!;
      const { thingName, policyName, name, owner, ownerKind } = device;
      return { ...row, thingName, policyName, device: name, owner, ownerKind };
    });
  }

  /** Certificates by id: who claims each, and their rows (users' and sites' devices alike), which drift judges. */
  async certificatesById(certificateIds: string[]): Promise<{ claims: Map<string, CertificateClaim>; rows: CertificateRow[] }> {
    const claims = new Map<string, CertificateClaim>();
    const judged: CertificateRow[] = [];
    if (certificateIds.length === 0) return { claims, rows: judged };
    const rows = await this.prisma.certificate.findMany({
      where: { certificateId: { in: certificateIds } },
      select: {
        id: true,
        certificateId: true,
        certificateArn: true,
        status: true,
        driftDetectedAt: true,
        createdAt: true,
        device: {
          select: { name: true, thingName: true, policyName: true, user: { select: { username: true } }, site: { select: { name: true } } },
        },
      },
    });
    for (const { device, ...row } of rows) {
      claims.set(row.certificateId, { thingName: device.thingName, policyName: device.policyName });
      judged.push({ ...row, thingName: device.thingName, policyName: device.policyName, device: device.name, ...ownerOf(device.user, device.site) });
    }
    return { claims, rows: judged };
  }

  /** Which of these thing names a device row has (any device's). */
  async claimedThings(thingNames: string[]): Promise<Set<string>> {
    if (thingNames.length === 0) return new Set();
    const rows = await this.prisma.device.findMany({ where: { thingName: { in: thingNames } }, select: { thingName: true } });
    return new Set(rows.map((row) => row.thingName));
  }

  /** Which of these policy names a user or device row has. */
  async claimedPolicies(policyNames: string[]): Promise<Set<string>> {
    if (policyNames.length === 0) return new Set();
    const where = { policyName: { in: policyNames } };
    const [users, devices] = await Promise.all([
      this.prisma.user.findMany({ where, select: { policyName: true } }),
      this.prisma.device.findMany({ where, select: { policyName: true } }),
    ]);
    return new Set([...users, ...devices].map((row) => row.policyName));
  }

  /** Which of these usernames a user row has (a row mid-deletion included: it still claims its pool user). */
  async claimedUsernames(names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.prisma.user.findMany({ where: { username: { in: names } }, select: { username: true } });
    return new Set(rows.map((row) => row.username));
  }

  async busySubjects(): Promise<Set<string>> {
    const rows = await this.prisma.operation.findMany({ where: { activeSubject: { not: null } }, select: { activeSubject: true } });
    return new Set(rows.flatMap((row) => row.activeSubject ?? []));
  }

  /**
   * Policies of operations parked on a waiting step: the only step that waits is a DeletePolicy AWS
   * refuses shortly after the detach (deletions, a registration's undo, drift's own repair).
   */
  async pendingPolicyDeletions(): Promise<Set<string>> {
    const rows = await this.prisma.$queryRaw<Array<{ policy_name: string | null }>>`
      SELECT params->>'policyName' AS policy_name FROM operations
      WHERE active_subject IS NOT NULL AND steps @> '[{"status": "waiting"}]'::jsonb`;
    return new Set(rows.flatMap((row) => row.policy_name ?? []));
  }

  /**
   * A registration or rotation under way may hold a certificate it has created but not yet attached.
   * `not: null` lets the active_subject index find running operations (a prefix match alone cannot use it).
   */
  async deviceOperationsRunning(): Promise<boolean> {
    const row = await this.prisma.operation.findFirst({
      where: { activeSubject: { not: null, startsWith: deviceSubject('') } },
      select: { id: true },
    });
    return row !== null;
  }

  async deviceExists(thingName: string): Promise<boolean> {
    return (await this.prisma.device.count({ where: { thingName } })) > 0;
  }

  async userExists(username: string): Promise<boolean> {
    return (await this.prisma.user.count({ where: { username } })) > 0;
  }

  async certificateClaim(certificateId: string): Promise<CertificateClaim | undefined> {
    const row = await this.prisma.certificate.findUnique({
      where: { certificateId },
      select: { device: { select: { thingName: true, policyName: true } } },
    });
    return row?.device;
  }

  async policyClaim(policyName: string): Promise<PolicyClaim | undefined> {
    const user = await this.prisma.user.findFirst({ where: { policyName }, select: { identityId: true, status: true } });
    if (user) return { kind: 'user', ...user };
    const device = await this.prisma.device.findFirst({ where: { policyName }, select: { thingName: true } });
    return device ? { kind: 'device', thingName: device.thingName } : undefined;
  }

  /** After detaching a user policy from an identity: the next sign-in attaches it again. */
  async forgetPolicyAttachment(policyName: string, identityId: string): Promise<void> {
    await this.prisma.user.updateMany({ where: { policyName, identityId }, data: { policyAttachedAt: null } });
  }

  /** A user's policies are not all on their identity: the next sign-in attaches every one again. */
  async forgetUserAttachments(username: string, identityId: string): Promise<void> {
    await this.prisma.user.updateMany({ where: { username, identityId }, data: { policyAttachedAt: null } });
  }

  /** Users by name with their memberships, for judging who needs a further policy. */
  async usersWithGrants(usernames: string[]): Promise<GrantedUser[]> {
    if (usernames.length === 0) return [];
    const rows = await this.prisma.user.findMany({
      where: { username: { in: usernames } },
      select: { username: true, identityId: true, status: true, policyAttachedAt: true, siteMemberships: MEMBERSHIPS },
    });
    return rows.map(({ siteMemberships, policyAttachedAt, ...row }) => ({
      ...row,
      policyAttached: policyAttachedAt !== null,
      sites: sitesOf(siteMemberships),
    }));
  }

  /** Marks ghosts; a row keeps the time it was first found. */
  async mark(refs: RecordRef[], at: Date): Promise<void> {
    for (const [table, ids] of byTable(refs)) {
      const args = { where: { id: { in: ids }, driftDetectedAt: null }, data: { driftDetectedAt: at } };
      if (table === 'user') await this.prisma.user.updateMany(args);
      else if (table === 'device') await this.prisma.device.updateMany(args);
      else await this.prisma.certificate.updateMany(args);
    }
  }

  /** Clears the marks of rows that are no longer ghosts (AWS has the resource again). */
  async unmark(refs: RecordRef[]): Promise<void> {
    for (const [table, ids] of byTable(refs)) {
      const args = { where: { id: { in: ids } }, data: { driftDetectedAt: null } };
      if (table === 'user') await this.prisma.user.updateMany(args);
      else if (table === 'device') await this.prisma.device.updateMany(args);
      else await this.prisma.certificate.updateMany(args);
    }
  }
}

/** As Entitlements reads them: in site order, a site being deleted left out (it is leaving its members' documents). */
const MEMBERSHIPS = {
  where: { site: { deletionStartedAt: null } },
  select: { role: true, site: { select: { name: true } } },
  orderBy: { site: { name: 'asc' as const } },
};

function sitesOf(rows: Array<{ role: 'MEMBER' | 'OPERATOR'; site: { name: string } }>): SiteGrant[] {
  return rows.map((row) => ({ site: row.site.name, role: row.role === 'OPERATOR' ? 'operator' : 'member' }));
}

/** A device row has exactly one owner (a check constraint): its user, or its site. */
function ownerOf(user: { username: string } | null, site: { name: string } | null): Pick<DeviceRow, 'owner' | 'ownerKind'> {
  return user ? { owner: user.username, ownerKind: 'user' } : { owner: site!.name, ownerKind: 'site' };
}

function range({ after, upTo }: RowWindow): { gt?: string; lte?: string } {
  return { ...(after !== undefined ? { gt: after } : {}), ...(upTo !== undefined ? { lte: upTo } : {}) };
}

/** Ids by table, in statements of at most MARK_BATCH. */
function byTable(refs: RecordRef[]): Array<[RecordTable, string[]]> {
  const groups = new Map<RecordTable, string[]>();
  for (const ref of refs) {
    const ids = groups.get(ref.table) ?? [];
    ids.push(ref.id);
    groups.set(ref.table, ids);
  }
  const batches: Array<[RecordTable, string[]]> = [];
  for (const [table, ids] of groups) for (let at = 0; at < ids.length; at += MARK_BATCH) batches.push([table, ids.slice(at, at + MARK_BATCH)]);
  return batches;
}
