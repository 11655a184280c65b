import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { AuthzService } from './authz.service.js';
import { AuthzCheckDto, AuthzCheckResponseDto } from './dto/authz-check.dto.js';

@ApiTags('authz')
@AdminOnly()
@Controller('authz')
export class AuthzController {
  constructor(private readonly authz: AuthzService) {}

  @Post('check')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Dry run: would AWS IoT allow this user or device to connect, publish, receive or subscribe?',
    description:
      "Evaluates the exact policy documents the service attaches to the principal (a user's own grant and their sites, or a device's), " +
      'without calling AWS; source aws evaluates what AWS holds instead.',
  })
  @ApiOkResponse({ type: AuthzCheckResponseDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: unknown action or principal type, or a malformed resource ARN' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user or device' })
  check(@Body() body: AuthzCheckDto): Promise<AuthzCheckResponseDto> {
    return this.authz.check(body);
  }
}
