import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type PageQueryDto } from '../common/http/pagination.js';
import { Entitlements } from '../entitlements/entitlements.js';
import type { SiteRole } from '../policy/entitlements.js';
import { UsersRepository } from '../users/users.repository.js';
import { UserEntitlementsDto } from './dto/entitlements.dto.js';
import { MemberDto, MembershipChangeDto, type MemberPageDto } from './dto/membership.dto.js';
import type { ChangeMembershipParams } from './operations/change-membership.operation.js';
import { SiteOperations } from './operations/site-operations.js';
import { SitesRepository } from './sites.repository.js';

/** Who is in a site, changing it (or only seeing what a change would do), and what a user's memberships compile to. */
@Injectable()
export class MembershipsService {
  constructor(
    private readonly sites: SitesRepository,
    private readonly users: UsersRepository,
    private readonly operations: SiteOperations,
    private readonly entitlements: Entitlements,
  ) {}

  async members(siteName: string, query: PageQueryDto): Promise<MemberPageDto> {
    const site = await this.sites.getByName(siteName);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const page = toPage(await this.sites.members(site.id, limit, decodeCursor(query.cursor)), limit, (member) => member.username);
    return { items: page.items.map((member) => MemberDto.from(member)), nextCursor: page.nextCursor };
  }

  /** Adds the user to the site or changes their role (PUT: repeating it changes nothing more). */
  set(site: string, username: string, role: SiteRole, dryRun = false): Promise<MembershipChangeDto> {
    return this.change({ site, username, role }, dryRun);
  }

  async remove(site: string, username: string, dryRun = false): Promise<MembershipChangeDto> {
    const [siteRow, user] = await Promise.all([this.sites.getByName(site), this.users.getByUsername(username)]);
    if ((await this.sites.roleOf(siteRow.id, user.id)) === null) {
      throw DomainError.notFound('Membership', { site, username });
    }
    return this.change({ site, username, role: null }, dryRun);
  }

  async entitlementsOf(username: string): Promise<UserEntitlementsDto> {
    await this.users.getByUsername(username);
    const grants = await this.entitlements.grantsOf(username);
    return UserEntitlementsDto.from(username, grants, await this.entitlements.compileGrants(username, grants));
  }

  private async change(params: ChangeMembershipParams, dryRun: boolean): Promise<MembershipChangeDto> {
    const { plan, policies } = dryRun ? await this.operations.plan(params) : await this.operations.apply(params);
    return MembershipChangeDto.from({ site: params.site, username: params.username, plan, policies, dryRun });
  }
}
