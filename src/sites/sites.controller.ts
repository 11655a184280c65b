import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { WithoutAwsDeadline } from '../aws/aws-deadline.js';
import { PageQueryDto } from '../common/http/pagination.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { CreateSiteDto, SiteDto, SitePageDto } from './dto/site.dto.js';
import { ApiSiteNameParam, SiteNameParam } from './site-name.param.js';
import { SitesService } from './sites.service.js';

const DELETE_DESCRIPTION = [
  "Marks the site (it takes no new member or device from then on, and leaves every member's documents at once for the custom",
  'authorizer), deletes its devices, takes the site off each member (their slot policies versioned, or detached and deleted when',
  'no longer needed), then removes the site. A deletion that stopped is finished by repeating the request.',
].join('\n');

@ApiTags('sites')
@AdminOnly()
@Controller('sites')
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create a site (a building, a dock, a fleet): a topic space its devices publish in and its members hear' })
  @ApiCreatedResponse({ type: SiteDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: a name outside the safe set' })
  @ApiConflictResponse({ description: 'CONFLICT: the site exists' })
  create(@Body() dto: CreateSiteDto): Promise<SiteDto> {
    return this.sites.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'Sites in name order, with member and device counts' })
  @ApiOkResponse({ type: SitePageDto })
  list(@Query() query: PageQueryDto): Promise<SitePageDto> {
    return this.sites.list(query);
  }

  @Get(':site')
  @ApiOperation({ summary: 'One site, with its topic prefixes and counts' })
  @ApiSiteNameParam()
  @ApiOkResponse({ type: SiteDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site' })
  get(@SiteNameParam() site: string): Promise<SiteDto> {
    return this.sites.get(site);
  }

  @Delete(':site')
  // Its work grows with the site (every device, every member's change), as a drift scan's with the account: each AWS call keeps its own bound.
  @WithoutAwsDeadline()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a site: its devices, its grant in every member’s policies, its record', description: DELETE_DESCRIPTION })
  @ApiSiteNameParam()
  @ApiNoContentResponse({ description: 'Deleted; after a failure, repeating the request finishes the job' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site' })
  @ApiConflictResponse({ description: "OPERATION_IN_PROGRESS: the site, or a member's change, is held by another operation; retry" })
  @ApiServiceUnavailableResponse({ description: 'AWS_THROTTLED or AWS_UNAVAILABLE: repeating the request goes on from where it stopped' })
  remove(@SiteNameParam() site: string): Promise<void> {
    return this.sites.remove(site);
  }
}
