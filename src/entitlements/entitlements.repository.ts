import { Injectable } from '@nestjs/common';
import { PrismaService } from '../persistence/prisma.service.js';
import type { SiteGrant } from '../policy/entitlements.js';

/** Reads a user's site memberships; the sites feature owns the writes. */
@Injectable()
export class EntitlementsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The user's grants, leaving out sites whose deletion has started (their members are losing
   * access), unless `withDeletingSites`: until a site's deletion reaches a member, that member's
   * policies in AWS still grant it.
   */
  async grantsOf(username: string, withDeletingSites = false): Promise<SiteGrant[]> {
    const rows = await this.prisma.siteMember.findMany({
      where: { user: { username }, ...(withDeletingSites ? {} : { site: { deletionStartedAt: null } }) },
      select: { role: true, site: { select: { name: true } } },
      orderBy: { site: { name: 'asc' } },
    });
    return rows.map((row) => ({ site: row.site.name, role: row.role === 'OPERATOR' ? 'operator' : 'member' }));
  }
}
