import type { INestApplication } from '@nestjs/common';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import type { SiteRole } from '../../src/policy/entitlements.js';

/**
 * Sites and memberships written straight into the app's database through its own Prisma client,
 * for tests of what reads them (authorization checks, the custom authorizer, GET /v1/me) without
 * the sites routes.
 */
export class SiteRows {
  private readonly prisma: PrismaService;

  constructor(app: INestApplication) {
    this.prisma = app.get(PrismaService);
  }

  async site(name: string): Promise<{ id: string; name: string }> {
    return this.prisma.site.create({ data: { name }, select: { id: true, name: true } });
  }

  /** Adds the membership, or changes its role. */
  async member(site: string, username: string, role: SiteRole = 'member'): Promise<void> {
    const ids = await this.ids(site, username);
    const value = role === 'operator' ? 'OPERATOR' : 'MEMBER';
    await this.prisma.siteMember.upsert({
      where: { siteId_userId: ids },
      create: { ...ids, role: value },
      update: { role: value },
    });
  }

  async removeMember(site: string, username: string): Promise<void> {
    await this.prisma.siteMember.delete({ where: { siteId_userId: await this.ids(site, username) } });
  }

  async markDeleting(site: string): Promise<void> {
    await this.prisma.site.update({ where: { name: site }, data: { deletionStartedAt: new Date() } });
  }

  private async ids(site: string, username: string): Promise<{ siteId: string; userId: string }> {
    const [{ id: siteId }, { id: userId }] = await Promise.all([
      this.prisma.site.findUniqueOrThrow({ where: { name: site }, select: { id: true } }),
      this.prisma.user.findUniqueOrThrow({ where: { username }, select: { id: true } }),
    ]);
    return { siteId, userId };
  }
}
