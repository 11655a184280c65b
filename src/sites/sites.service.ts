import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type PageQueryDto } from '../common/http/pagination.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { siteSubject } from '../operations/subjects.js';
import { SiteDto, type CreateSiteDto, type SitePageDto } from './dto/site.dto.js';
import { SiteOperations } from './operations/site-operations.js';
import { SitesRepository } from './sites.repository.js';

/** Admin use cases on sites; a deletion runs as a durable operation holding the site. */
@Injectable()
export class SitesService {
  constructor(
    private readonly sites: SitesRepository,
    private readonly operations: SiteOperations,
    private readonly runner: OperationRunner,
  ) {}

  /** A site is a row: it has no AWS resource of its own until devices or members give it some. */
  async create(dto: CreateSiteDto): Promise<SiteDto> {
    const site = await this.sites.create(dto.name);
    return SiteDto.from({ ...site, memberCount: 0, deviceCount: 0 });
  }

  async list(query: PageQueryDto): Promise<SitePageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const page = toPage(await this.sites.list(limit, decodeCursor(query.cursor)), limit, (site) => site.name);
    return { items: page.items.map((site) => SiteDto.from(site)), nextCursor: page.nextCursor };
  }

  async get(name: string): Promise<SiteDto> {
    return SiteDto.from(await this.sites.getWithCounts(name));
  }

  async remove(name: string): Promise<void> {
    const site = await this.sites.getByName(name);
    await this.runner.run(this.operations.deleteSite, siteSubject(name), { siteId: site.id, site: name });
  }
}
