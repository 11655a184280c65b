import { Body, Controller, Delete, Get, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { PageQueryDto } from '../common/http/pagination.js';
import { ApiUsernameParam, UsernameParam } from '../users/username.param.js';
import { DryRunQueryDto, MemberPageDto, MembershipChangeDto, SetMembershipDto } from './dto/membership.dto.js';
import { MembershipsService } from './memberships.service.js';
import { ApiSiteNameParam, SiteNameParam } from './site-name.param.js';

const CHANGE_DESCRIPTION = [
  "Compiles the user's own grant plus all their sites into the fewest IoT policies AWS accepts (at most 10 per Cognito identity,",
  '2,048 characters each: `<prefix>_<user>`, then `<prefix>_<user>.2` ...) and applies the difference as one durable operation:',
  'new policies created and attached to the identity (once the user has signed in), changed ones given a new default version',
  '(the oldest non-default version pruned when AWS’s 5 are reached), unneeded ones detached and deleted. A failure undoes it all.',
  'Changes of one user are applied one at a time, in the order they arrive. When the memberships cannot fit, 409 CONFLICT with',
  'details.reason POLICY_LIMIT names the limit and the numbers, and nothing changes. `?dryRun=true` answers the same body and changes nothing.',
].join('\n');

const POLICY_LIMIT =
  'CONFLICT: details.reason POLICY_LIMIT (the memberships would need more policies than AWS allows: details.neededPolicies, maxPolicies, ' +
  'maxPolicyCharacters), SITE_BEING_DELETED or USER_BEING_DELETED; OPERATION_IN_PROGRESS: another operation holds the user for too long';

@ApiTags('sites')
@AdminOnly()
@Controller('sites/:site/members')
export class SiteMembersController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get()
  @ApiOperation({ summary: "A site's members in username order, with their roles" })
  @ApiSiteNameParam()
  @ApiOkResponse({ type: MemberPageDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site' })
  list(@SiteNameParam() site: string, @Query() query: PageQueryDto): Promise<MemberPageDto> {
    return this.memberships.members(site, query);
  }

  @Put(':username')
  @ApiOperation({ summary: 'Add a user to the site, or change their role; their IoT policies follow', description: CHANGE_DESCRIPTION })
  @ApiSiteNameParam()
  @ApiUsernameParam()
  @ApiOkResponse({ type: MembershipChangeDto, description: 'Done (or, with dryRun, what would be done)' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: an unknown role, or a name outside the safe set' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site or user' })
  @ApiConflictResponse({ description: POLICY_LIMIT })
  @ApiServiceUnavailableResponse({ description: 'AWS_THROTTLED or AWS_UNAVAILABLE: the change was undone; repeat it' })
  set(
    @SiteNameParam() site: string,
    @UsernameParam() username: string,
    @Body() body: SetMembershipDto,
    @Query() query: DryRunQueryDto,
  ): Promise<MembershipChangeDto> {
    return this.memberships.set(site, username, body.role, query.dryRun);
  }

  @Delete(':username')
  @ApiOperation({
    summary: 'Take a user out of the site: the site leaves their IoT policies, and their live connection is closed',
    description: CHANGE_DESCRIPTION,
  })
  @ApiSiteNameParam()
  @ApiUsernameParam()
  @ApiOkResponse({ type: MembershipChangeDto, description: 'Done (or, with dryRun, what would be done)' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site or user, or the user is not a member' })
  @ApiConflictResponse({ description: 'OPERATION_IN_PROGRESS: another operation holds the user for too long; USER_BEING_DELETED' })
  @ApiServiceUnavailableResponse({ description: 'AWS_THROTTLED or AWS_UNAVAILABLE: the change was undone; repeat it' })
  remove(@SiteNameParam() site: string, @UsernameParam() username: string, @Query() query: DryRunQueryDto): Promise<MembershipChangeDto> {
    return this.memberships.remove(site, username, query.dryRun);
  }
}
