import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { siteBeingDeleted } from '../common/errors/site-being-deleted.js';
import type { Site } from '../generated/prisma/client.js';
import type { OperationKind } from '../operations/kinds.js';
import { isUniqueViolation } from '../persistence/prisma-errors.js';
import { PrismaService } from '../persistence/prisma.service.js';
import type { SiteRole } from '../policy/entitlements.js';

export type SiteRecord = Site;
export type SiteWithCounts = Site & { memberCount: number; deviceCount: number };

export interface MemberRecord {
  username: string;
  role: SiteRole;
  since: Date;
}

/** The only place that reads and writes the sites and site_members tables. */
@Injectable()
export class SitesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(name: string): Promise<SiteRecord> {
    try {
      return await this.prisma.site.create({ data: { name } });
    } catch (error) {
      if (isUniqueViolation(error)) throw DomainError.conflict(`Site ${name} already exists`, { site: name });
      throw error;
    }
  }

  findByName(name: string): Promise<SiteRecord | null> {
    return this.prisma.site.findUnique({ where: { name } });
  }

  async getByName(name: string): Promise<SiteRecord> {
    const site = await this.findByName(name);
    if (!site) throw DomainError.notFound('Site', { site: name });
    return site;
  }

  async getWithCounts(name: string): Promise<SiteWithCounts> {
    const [site] = await this.withCounts([await this.getByName(name)]);
    return site!;
  }

  /** Site names in order; `after` is the last name of the previous page. Fetches limit + 1 to tell if more follow. */
  async list(limit: number, after?: string): Promise<SiteWithCounts[]> {
    const sites = await this.prisma.site.findMany({
      where: after ? { name: { gt: after } } : {},
      orderBy: { name: 'asc' },
      take: limit + 1,
    });
    return this.withCounts(sites);
  }

  /** Members in username order, keyset-paginated like every list. */
  async members(siteId: string, limit: number, after?: string): Promise<MemberRecord[]> {
    const rows = await this.prisma.siteMember.findMany({
      where: { siteId, ...(after ? { user: { username: { gt: after } } } : {}) },
      select: { role: true, createdAt: true, user: { select: { username: true } } },
      orderBy: { user: { username: 'asc' } },
      take: limit + 1,
    });
    return rows.map((row) => ({ username: row.user.username, role: roleOf(row.role), since: row.createdAt }));
  }

  /** Every member's username, for a deletion that takes the site off each of them. */
  async memberUsernames(siteId: string): Promise<string[]> {
    const rows = await this.prisma.siteMember.findMany({
      where: { siteId },
      select: { user: { select: { username: true } } },
      orderBy: { user: { username: 'asc' } },
    });
    return rows.map((row) => row.user.username);
  }

  /**
   * The membership changes of this site still running or undoing (their rows may yet be put back),
   * by username, with the steps each has reached: a deletion of the site waits for them.
   */
  async changesInProgress(site: string): Promise<Array<{ username: string; steps: string[] }>> {
    const rows = await this.prisma.operation.findMany({
      where: { kind: 'change-membership' satisfies OperationKind, status: { in: ['RUNNING', 'UNDOING'] }, params: { path: ['site'], equals: site } },
      select: { params: true, steps: true },
    });
    return rows.map((row) => ({
      username: (row.params as { username: string }).username,
      steps: (row.steps as Array<{ name: string }>).map((step) => step.name),
    }));
  }

  async roleOf(siteId: string, userId: string): Promise<SiteRole | null> {
    const row = await this.prisma.siteMember.findUnique({ where: { siteId_userId: { siteId, userId } }, select: { role: true } });
    return row ? roleOf(row.role) : null;
  }

  /**
   * Adds the member or changes their role, never in a site being deleted. The site's row is
   * locked FOR SHARE meanwhile: a deletion marks the row (an UPDATE, which waits for this write)
   * before it lists the members to take the site off, so either it sees this member or this write
   * sees the mark, and no member slips in behind it.
   */
  async setMembership(siteId: string, userId: string, role: SiteRole): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const [site] = await tx.$queryRaw<
        Array<{ name: string; deleting: boolean }>
      >`SELECT name, deletion_started_at IS NOT NULL AS deleting FROM sites WHERE id = ${siteId}::uuid FOR SHARE`;
      if (!site) throw DomainError.notFound('Site', { siteId });
      if (site.deleting) throw siteBeingDeleted(site.name);
      await tx.siteMember.upsert({
        where: { siteId_userId: { siteId, userId } },
        create: { siteId, userId, role: dbRole(role) },
        update: { role: dbRole(role) },
      });
    });
  }

  /** Puts back the membership an undone change replaced, in a site being deleted too (it was there before). */
  async restoreMembership(siteId: string, userId: string, role: SiteRole | null): Promise<void> {
    if (role === null) return this.removeMembership(siteId, userId);
    await this.prisma.siteMember.upsert({
      where: { siteId_userId: { siteId, userId } },
      create: { siteId, userId, role: dbRole(role) },
      update: { role: dbRole(role) },
    });
  }

  /** A membership already gone counts as removed. */
  async removeMembership(siteId: string, userId: string): Promise<void> {
    await this.prisma.siteMember.deleteMany({ where: { siteId, userId } });
  }

  /** The first step of a deletion; the first mark is kept when the delete is repeated. A row already gone counts as marked. */
  async markDeletionStarted(siteId: string): Promise<void> {
    await this.prisma.site.updateMany({ where: { id: siteId, deletionStartedAt: null }, data: { deletionStartedAt: new Date() } });
  }

  /** Removes the row (and any membership left, by cascade); a row already gone counts as removed. */
  async delete(siteId: string): Promise<void> {
    await this.prisma.site.deleteMany({ where: { id: siteId } });
  }

  /** Member and device counts of these sites only, through the (site_id, ...) indexes. */
  private async withCounts(sites: SiteRecord[]): Promise<SiteWithCounts[]> {
    if (sites.length === 0) return [];
    const ids = sites.map((site) => site.id);
    const [members, devices] = await Promise.all([
      this.prisma.siteMember.groupBy({ by: ['siteId'], where: { siteId: { in: ids } }, _count: { _all: true } }),
      this.prisma.device.groupBy({ by: ['siteId'], where: { siteId: { in: ids } }, _count: { _all: true } }),
    ]);
    const memberCounts = new Map(members.map((row) => [row.siteId, row._count._all]));
    const deviceCounts = new Map(devices.map((row) => [row.siteId, row._count._all]));
    return sites.map((site) => ({ ...site, memberCount: memberCounts.get(site.id) ?? 0, deviceCount: deviceCounts.get(site.id) ?? 0 }));
  }
}

function roleOf(role: 'MEMBER' | 'OPERATOR'): SiteRole {
  return role === 'OPERATOR' ? 'operator' : 'member';
}

function dbRole(role: SiteRole): 'MEMBER' | 'OPERATOR' {
  return role === 'operator' ? 'OPERATOR' : 'MEMBER';
}
