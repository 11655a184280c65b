import { Controller, Get } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { ApiUsernameParam, UsernameParam } from '../users/username.param.js';
import { UserEntitlementsDto } from './dto/entitlements.dto.js';
import { MembershipsService } from './memberships.service.js';

@ApiTags('sites')
@AdminOnly()
@Controller('users/:username/entitlements')
export class UserEntitlementsController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get()
  @ApiOperation({
    summary: "The IoT policy documents a user's own grant and sites compile to",
    description: "What the user's Cognito identity holds once signed in, and what the custom authorizer answers for them.",
  })
  @ApiUsernameParam()
  @ApiOkResponse({ type: UserEntitlementsDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  get(@UsernameParam() username: string): Promise<UserEntitlementsDto> {
    return this.memberships.entitlementsOf(username);
  }
}
