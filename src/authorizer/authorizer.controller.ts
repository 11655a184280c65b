import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ADMIN_API_KEY, COGNITO_BEARER } from '../common/http/swagger.js';
import { AuthorizerCallerGuard } from './authorizer-caller.guard.js';
import { AuthorizerService } from './authorizer.service.js';
import { AUTHORIZER_SECRET_HEADER } from './secret-header.js';
import {
  AuthorizerUserStatusDto,
  AuthorizerUserStatusQueryDto,
  IotAuthorizerRequestDto,
  IotAuthorizerResponseDto,
} from './dto/iot-authorizer.dto.js';

@ApiTags('authorizer')
@UseGuards(AuthorizerCallerGuard)
@ApiHeader({ name: AUTHORIZER_SECRET_HEADER, required: false, description: 'AUTHORIZER_SECRET, sent by the deployed authorizer' })
@ApiSecurity(ADMIN_API_KEY)
@ApiBearerAuth(COGNITO_BEARER)
@ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: neither the authorizer secret nor admin credentials' })
@ApiForbiddenResponse({ description: 'FORBIDDEN: a valid token of a user outside the admin group' })
@Controller('authorizer')
export class AuthorizerController {
  constructor(private readonly authorizer: AuthorizerService) {}

  @Post('iot')
  @HttpCode(200)
  @ApiOperation({
    summary: "AWS IoT custom authorizer: a Cognito token in, the user's IoT policy out",
    description:
      'Always 200 for an authorized caller: invalid tokens, unknown or disabled users and internal failures answer { isAuthenticated: false }.',
  })
  @ApiBody({ type: IotAuthorizerRequestDto })
  @ApiOkResponse({ type: IotAuthorizerResponseDto })
  // Untyped on purpose: the global ValidationPipe passes it through, so fields AWS adds and
  // malformed requests reach the core, which answers them { isAuthenticated: false } with 200.
  authorize(@Body() request: unknown): Promise<IotAuthorizerResponseDto> {
    return this.authorizer.authorize(request);
  }

  @Get('users/:username')
  @ApiOperation({
    summary:
      "Whether a user is provisioned here and active, and an active user's policy documents: what the deployed authorizer Lambda asks on each connect",
  })
  @ApiOkResponse({ type: AuthorizerUserStatusDto })
  userStatus(@Param('username') username: string, @Query() query: AuthorizerUserStatusQueryDto): Promise<AuthorizerUserStatusDto> {
    return this.authorizer.userStatus(username, query.sub);
  }
}
