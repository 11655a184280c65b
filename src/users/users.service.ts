import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { userBeingDeleted } from '../common/errors/user-being-deleted.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type PageQueryDto } from '../common/http/pagination.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { userSubject } from '../operations/subjects.js';
import { userPolicyName } from '../policy/names.js';
import { CredentialCache } from '../credential-cache/credential-cache.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import { UserDetailDto, UserDto, type UserPageDto } from './dto/user.dto.js';
import { UserOperations } from './operations/user-operations.js';
import { UsersRepository } from './users.repository.js';

/** Admin use cases on app users; each change runs as a durable operation holding the user. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly operations: UserOperations,
    private readonly runner: OperationRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly credentialCache: CredentialCache,
  ) {}

  async create(dto: CreateUserDto): Promise<UserDto> {
    const { username, email, temporaryPassword } = dto;
    const sendInvite = dto.sendInvite ?? false;
    if (sendInvite && !email) throw DomainError.validation('sendInvite needs an email to send the invitation to', { field: 'sendInvite' });
    // Checked before AWS is touched; Cognito's UsernameExistsException covers users this service did not create.
    if (await this.users.findByUsername(username)) throw DomainError.conflict(`User ${username} already exists`, { username });
    const params = { userId: randomUUID(), username, email, sendInvite, policyName: userPolicyName(this.config.resourcePrefix, username) };
    const created = await this.runner.run(this.operations.createUser, userSubject(username), params, { temporaryPassword });
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
    await this.notBeingDeleted(username);
    try {
      await this.runner.run(this.operations.disableUser, userSubject(username), { username });
    } finally {
      // The operation marks the row disabled first; from here on no cached credentials are handed out.
      this.credentialCache.forget(username);
    }
  }

  async enable(username: string): Promise<void> {
    await this.notBeingDeleted(username);
    await this.runner.run(this.operations.enableUser, userSubject(username), { username });
  }

  /** A deletion that stopped mid-way left devices and policy gone: only repeating the delete is allowed. */
  private async notBeingDeleted(username: string): Promise<void> {
    const user = await this.users.getByUsername(username);
    if (user.deletionStartedAt) throw userBeingDeleted(username);
  }

  async remove(username: string): Promise<void> {
    const user = await this.users.getByUsername(username);
    try {
      await this.runner.run(this.operations.deleteUser, userSubject(username), { userId: user.id, username, policyName: user.policyName });
    } finally {
      this.credentialCache.forget(username);
    }
  }
}
