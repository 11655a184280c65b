import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { PageQueryDto } from '../common/http/pagination.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UserDetailDto, UserDto, UserPageDto } from './dto/user.dto.js';
import { ApiUsernameParam, UsernameParam } from './username.param.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@AdminOnly()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create an app user: the Cognito user (invitation suppressed unless sendInvite), its IoT policy, its record' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: a username outside the safe set, or a password Cognito refuses' })
  @ApiConflictResponse({ description: 'CONFLICT: the user exists here or in Cognito' })
  create(@Body() dto: CreateUserDto): Promise<UserDto> {
    return this.users.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'App users in username order' })
  @ApiOkResponse({ type: UserPageDto })
  list(@Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(query);
  }

  @Get(':username')
  @ApiOperation({ summary: 'One app user, with identity, policy state and device count' })
  @ApiUsernameParam()
  @ApiOkResponse({ type: UserDetailDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  get(@UsernameParam() username: string): Promise<UserDetailDto> {
    return this.users.get(username);
  }

  @Post(':username/disable')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Disable a user: Cognito disable and global sign-out, IoT policy detached from the identity' })
  @ApiUsernameParam()
  @ApiNoContentResponse({ description: 'Disabled (repeating it is harmless)' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  disable(@UsernameParam() username: string): Promise<void> {
    return this.users.disable(username);
  }

  @Post(':username/enable')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Enable a disabled user; the IoT policy is attached again at the next sign-in' })
  @ApiUsernameParam()
  @ApiNoContentResponse({ description: 'Enabled (repeating it is harmless)' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  enable(@UsernameParam() username: string): Promise<void> {
    return this.users.enable(username);
  }

  @Delete(':username')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user and everything it owns: devices, policy, identity, Cognito user, records' })
  @ApiUsernameParam()
  @ApiNoContentResponse({ description: 'Deleted; after a failure, repeating the request finishes the job' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  remove(@UsernameParam() username: string): Promise<void> {
    return this.users.remove(username);
  }
}
