import { Controller, Get } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppUserOnly, CurrentUser } from '../auth/decorators.js';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { MeDto } from './dto/me.dto.js';
import { MeService } from './me.service.js';

@ApiTags('me')
@AppUserOnly()
@Controller('me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  @ApiOperation({
    summary: 'The signed-in user: their topic prefix, their sites with role and topic prefix, and their devices',
    description: 'A member subscribes to `<site topicPrefix>#` to hear every device of the site.',
  })
  @ApiOkResponse({ type: MeDto })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: the user is disabled, or was not provisioned by this service' })
  get(@CurrentUser() user: VerifiedUser): Promise<MeDto> {
    return this.me.me(user);
  }
}
