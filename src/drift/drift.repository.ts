import { Injectable } from '@nestjs/common';
import { deviceSubject } from '../operations/subjects.js';
import { PrismaService } from '../persistence/prisma.service.js';
import type { CertificateClaim, PolicyClaim } from './drift-rules.js';
import type { CertificateRow, DatabaseRecords, DeviceRow, RecordRef, RecordTable, UserRow } from './drift.types.js';

/**
 * Drift's view of the database: every row's names (only the columns drift compares), the subjects
 * of running operations, the re-checks a repair makes under its lock, and the ghost marks.
 */
@Injectable()
export class DriftRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The database's clock: row timestamps come from it, so the scan's start is measured on it too. */
  async now(): Promise<Date> {
    const [row] = await this.prisma.$queryRaw<Array<{ now: Date }>>`SELECT now() AS now`;
    return row!.now;
  }

  async records(): Promise<Omit<DatabaseRecords, 'busySubjects' | 'pendingDeletions'>> {
    const [users, devices, certificates] = await Promise.all([this.users(), this.devices(), this.certificates()]);
    return { users, devices, certificates };
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

  private async users(): Promise<UserRow[]> {
    const rows = await this.prisma.user.findMany({
      select: {
        id: true,
        username: true,
        policyName: true,
        identityId: true,
        status: true,
        policyAttachedAt: true,
        driftDetectedAt: true,
        createdAt: true,
      },
    });
    return rows.map(({ policyAttachedAt, ...row }) => ({ ...row, policyAttached: policyAttachedAt !== null }));
  }

  private async devices(): Promise<DeviceRow[]> {
    // Site devices are compared by the site rules, not as a user's.
    const rows = await this.prisma.device.findMany({
      where: { userId: { not: null } },
      select: {
        id: true,
        name: true,
        thingName: true,
        policyName: true,
        driftDetectedAt: true,
        createdAt: true,
        user: { select: { username: true } },
      },
    });
    return rows.map(({ user, ...row }) => ({ ...row, owner: user!.username }));
  }

  private async certificates(): Promise<CertificateRow[]> {
    const rows = await this.prisma.certificate.findMany({
      // Site devices' certificates too: a certificate with a row is never an orphan to delete.
      select: {
        id: true,
        certificateId: true,
        certificateArn: true,
        status: true,
        driftDetectedAt: true,
        createdAt: true,
        device: { select: { name: true, thingName: true, policyName: true, user: { select: { username: true } }, site: { select: { name: true } } } },
      },
    });
    return rows.map(({ device, ...row }) => ({
      ...row,
      thingName: device.thingName,
      policyName: device.policyName,
      device: device.name,
      owner: device.user?.username ?? device.site!.name,
    }));
  }
}

function byTable(refs: RecordRef[]): Map<RecordTable, string[]> {
  const groups = new Map<RecordTable, string[]>();
  for (const ref of refs) groups.set(ref.table, [...(groups.get(ref.table) ?? []), ref.id]);
  return groups;
}
