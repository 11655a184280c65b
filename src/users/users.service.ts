import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import { IdentityPoolPort } from '../aws/identity-pool.port.js';
import { IotPort } from '../aws/iot.port.js';
import { UserPoolPort } from '../aws/user-pool.port.js';
import { DomainError } from '../common/errors/domain-error.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type PageQueryDto } from '../common/http/pagination.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { UserDeviceCleanup } from '../devices/user-device-cleanup.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { userPolicyName } from '../policy/names.js';
import { CredentialCache } from '../sessions/credential-cache.js';
import { createUserOperation, type CreateUserSecrets } from './create-user.operation.js';
import { deleteUserOperation } from './delete-user.operation.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import { UserDetailDto, UserDto, type UserPageDto } from './dto/user.dto.js';
import { disableUserOperation, enableUserOperation } from './user-access.operations.js';
import { userSubject, type UserOperationDeps } from './user-operation-deps.js';
import { UsersRepository } from './users.repository.js';

/** Admin use cases on app users; each change runs as a durable operation holding the user. */
@Injectable()
export class UsersService {
  private readonly createUser;
  private readonly disableUser;
  private readonly enableUser;
  private readonly deleteUser;

  constructor(
    private readonly users: UsersRepository,
    private readonly runner: OperationRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    userPool: UserPoolPort,
    identityPool: IdentityPoolPort,
    iot: IotPort,
    scope: AwsScope,
    devices: UserDeviceCleanup,
    private readonly credentialCache: CredentialCache,
  ) {
    const deps: UserOperationDeps = { users, userPool, identityPool, iot, scope, devices };
    this.createUser = createUserOperation(deps);
    this.disableUser = disableUserOperation(deps);
    this.enableUser = enableUserOperation(deps);
    this.deleteUser = deleteUserOperation(deps);
    for (const definition of [this.createUser, this.disableUser, this.enableUser, this.deleteUser]) runner.register(definition);
  }

  async create(dto: CreateUserDto): Promise<UserDto> {
    const { username, email, temporaryPassword } = dto;
    const sendInvite = dto.sendInvite ?? false;
    if (sendInvite && !email) throw DomainError.validation('sendInvite needs an email to send the invitation to', { field: 'sendInvite' });
    // Checked before AWS is touched; Cognito's UsernameExistsException covers users this service did not create.
    if (await this.users.findByUsername(username)) throw DomainError.conflict(`User ${username} already exists`, { username });
    const params = { userId: randomUUID(), username, email, sendInvite, policyName: userPolicyName(this.config.resourcePrefix, username) };
    const created = await this.runner.run(this.createUser, userSubject(username), params, { temporaryPassword } satisfies CreateUserSecrets);
    return UserDto.from(created);
  }

  async list(query: PageQueryDto): Promise<UserPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const page = toPage(await this.users.list(limit, decodeCursor(query.cursor)), limit, (user) => user.username);
    return { items: page.items.map((user) => UserDetailDto.from(user)), nextCursor: page.nextCursor };
  }

  async get(username: string): Promise<UserDetailDto> {
    return UserDetailDto.from(await this.users.getWithDeviceCount(username));
  }

  async disable(username: string): Promise<void> {
    await this.users.getByUsername(username);
    try {
      await this.runner.run(this.disableUser, userSubject(username), { username });
    } finally {
      // The operation marks the row disabled first; from here on no cached credentials are handed out.
      this.credentialCache.forget(username);
    }
  }

  async enable(username: string): Promise<void> {
    await this.users.getByUsername(username);
    await this.runner.run(this.enableUser, userSubject(username), { username });
  }

  async remove(username: string): Promise<void> {
    const user = await this.users.getByUsername(username);
    try {
      await this.runner.run(this.deleteUser, userSubject(username), { userId: user.id, username, policyName: user.policyName });
    } finally {
      this.credentialCache.forget(username);
    }
  }
}
