import { Body, Controller, Get, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { AppUserOnly, CurrentUser } from '../auth/decorators.js';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { ChallengeAnswerDto, RefreshDto, SignInDto } from './dto/sign-in.dto.js';
import { CredentialsResponseDto, NewPasswordChallengeDto, SessionDto } from './dto/session.dto.js';
import { IdToken } from './id-token.decorator.js';
import { SessionsService } from './sessions.service.js';

const SESSION_OR_CHALLENGE = {
  description: 'Signed in (tokens, identity, credentials, MQTT settings), or a new password is required first',
  schema: { oneOf: [{ $ref: getSchemaPath(SessionDto) }, { $ref: getSchemaPath(NewPasswordChallengeDto) }] },
};
const NOT_PROVISIONED = { description: 'FORBIDDEN: the user is disabled, or was not provisioned by this service' };

@ApiTags('sessions')
@ApiExtraModels(SessionDto, NewPasswordChallengeDto)
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Sign in with username and password: tokens, AWS credentials and MQTT settings' })
  @ApiOkResponse(SESSION_OR_CHALLENGE)
  @ApiUnauthorizedResponse({ description: 'INVALID_CREDENTIALS: unknown user or wrong password (one answer for both)' })
  @ApiForbiddenResponse(NOT_PROVISIONED)
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: too many failed sign-ins for the username or the address; see Retry-After' })
  signIn(@Body() dto: SignInDto, @Ip() address: string): Promise<SessionDto | NewPasswordChallengeDto> {
    return this.sessions.signIn(dto, address);
  }

  @Post('challenge')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Answer NEW_PASSWORD_REQUIRED with a new password' })
  @ApiOkResponse(SESSION_OR_CHALLENGE)
  @ApiBadRequestResponse({ description: "VALIDATION_FAILED: the password breaks Cognito's policy (the reason is given)" })
  @ApiUnauthorizedResponse({ description: 'INVALID_CREDENTIALS: the session is invalid or expired' })
  @ApiForbiddenResponse(NOT_PROVISIONED)
  answerChallenge(@Body() dto: ChallengeAnswerDto): Promise<SessionDto | NewPasswordChallengeDto> {
    return this.sessions.answerChallenge(dto);
  }

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'New ID and access tokens and new credentials from a refresh token' })
  @ApiOkResponse({ type: SessionDto })
  @ApiUnauthorizedResponse({ description: 'INVALID_CREDENTIALS: the refresh token is invalid or was revoked (disable signs out everywhere)' })
  @ApiForbiddenResponse(NOT_PROVISIONED)
  refresh(@Body() dto: RefreshDto): Promise<SessionDto> {
    return this.sessions.refresh(dto);
  }

  @Get('credentials')
  @AppUserOnly()
  @ApiOperation({ summary: 'AWS credentials and MQTT settings for an app that signed in with Cognito itself' })
  @ApiOkResponse({ type: CredentialsResponseDto })
  @ApiForbiddenResponse(NOT_PROVISIONED)
  credentials(@CurrentUser() user: VerifiedUser, @IdToken() idToken: string): Promise<CredentialsResponseDto> {
    return this.sessions.credentials(user, idToken);
  }
}
