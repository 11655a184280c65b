import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { User, UserStatus } from '../generated/prisma/client.js';
import { isForeignKeyViolation, isRecordNotFound, isUniqueViolation } from '../persistence/prisma-errors.js';
import { PrismaService } from '../persistence/prisma.service.js';

export type UserRecord = User;
export type UserWithDeviceCount = User & { deviceCount: number };
/** The columns a sign-in and credential vending read. */
export type SessionUser = Pick<
  User,
  'id' | 'username' | 'cognitoSub' | 'status' | 'policyName' | 'identityId' | 'policyAttachedAt' | 'tokensValidAfter' | 'deletionStartedAt'
>;

/** A SessionUser's columns, as `findForSession` and a sign-in's success statement select them. */
export const SESSION_USER_COLUMNS = `id, username, cognito_sub AS "cognitoSub", status::text AS status, policy_name AS "policyName",
  identity_id AS "identityId", policy_attached_at AS "policyAttachedAt", tokens_valid_after AS "tokensValidAfter",
  deletion_started_at AS "deletionStartedAt"`;

/** The only place that writes the users table. */
@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** `id` may be chosen by the caller, so an operation can undo exactly the row it created. */
  async create(input: { id?: string; username: string; cognitoSub: string; email?: string; policyName: string }): Promise<UserRecord> {
    try {
      return await this.prisma.user.create({ data: { ...input, email: input.email ?? null } });
    } catch (error) {
      if (isUniqueViolation(error)) throw DomainError.conflict(`User ${input.username} already exists`, { username: input.username });
      throw error;
    }
  }

  findByUsername(username: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { username } });
  }

  /** The one query on the credential hot path (and a sign-in's): hand-written, as Prisma's client would cost more than the query. */
  async findForSession(username: string): Promise<SessionUser | null> {
    const [row] = await this.prisma.sql.rows<SessionUser>('users-find-for-session', `SELECT ${SESSION_USER_COLUMNS} FROM users WHERE username = $1`, [
      username,
    ]);
    return row ?? null;
  }

  async getByUsername(username: string): Promise<UserRecord> {
    const user = await this.findByUsername(username);
    if (!user) throw DomainError.notFound('User', { username });
    return user;
  }

  async getWithDeviceCount(username: string): Promise<UserWithDeviceCount> {
    const user = await this.getByUsername(username);
    const [withCount] = await this.withDeviceCounts([user]);
    return withCount!;
  }

  /** Usernames in order; `after` is the last username of the previous page. Fetches limit + 1 to tell if more follow. */
  async list(limit: number, after?: string): Promise<UserWithDeviceCount[]> {
    const users = await this.prisma.user.findMany({
      where: after ? { username: { gt: after } } : {},
      orderBy: { username: 'asc' },
      take: limit + 1,
    });
    return this.withDeviceCounts(users);
  }

  /**
   * Device counts of these users only, through the (user_id, name) index. Prisma's `_count`
   * include would group the whole devices table on every call.
   */
  private async withDeviceCounts(users: UserRecord[]): Promise<UserWithDeviceCount[]> {
    if (users.length === 0) return [];
    const counts = await this.prisma.device.groupBy({
      by: ['userId'],
      where: { userId: { in: users.map((user) => user.id) } },
      _count: { _all: true },
    });
    const byUser = new Map(counts.map((row) => [row.userId, row._count._all]));
    return users.map((user) => ({ ...user, deviceCount: byUser.get(user.id) ?? 0 }));
  }

  async setStatus(username: string, status: UserStatus): Promise<void> {
    await this.prisma.user.update({ where: { username }, data: { status } }).catch(notFoundAs(username));
  }

  /** Disabled, and no ID token issued before `tokensValidAfter` gets credentials again. */
  async markDisabled(username: string, tokensValidAfter: Date): Promise<void> {
    await this.prisma.user.update({ where: { username }, data: { status: 'DISABLED', tokensValidAfter } }).catch(notFoundAs(username));
  }

  /**
   * The first step of a deletion: disabled, and marked so for good (the first mark is kept when the
   * delete is repeated). A row already gone counts as marked: deletions are re-runnable.
   */
  async markDeletionStarted(username: string): Promise<void> {
    await this.prisma.user.updateMany({ where: { username }, data: { status: 'DISABLED' } });
    await this.prisma.user.updateMany({ where: { username, deletionStartedAt: null }, data: { deletionStartedAt: new Date() } });
  }

  /**
   * Stores the identity id GetId returned, only if none is stored yet; returns the stored one.
   * Two first sign-ins racing both get the same id from Cognito, so either write is right.
   */
  async recordIdentity(userId: string, identityId: string): Promise<string> {
    await this.prisma.user.updateMany({ where: { id: userId, identityId: null }, data: { identityId } });
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { identityId: true } });
    return user.identityId ?? identityId;
  }

  async markPolicyAttached(userId: string, at = new Date()): Promise<void> {
    await this.prisma.user.updateMany({ where: { id: userId, policyAttachedAt: null }, data: { policyAttachedAt: at } });
  }

  /** After DetachPolicy: the next sign-in attaches it again. */
  async clearPolicyAttached(userId: string): Promise<void> {
    await this.prisma.user.updateMany({ where: { id: userId }, data: { policyAttachedAt: null } });
  }

  /** Removes the row; a row already gone counts as removed (deletes are re-runnable). */
  async delete(userId: string): Promise<void> {
    try {
      await this.prisma.user.deleteMany({ where: { id: userId } });
    } catch (error) {
      // Devices still reference it: the deletion stops and running it again deletes them first.
      if (isForeignKeyViolation(error))
        throw DomainError.conflict('The user still has devices; retry the deletion', { userId, reason: 'HAS_DEVICES' });
      throw error;
    }
  }
}

function notFoundAs(username: string) {
  return (error: unknown): never => {
    if (isRecordNotFound(error)) throw DomainError.notFound('User', { username });
    throw error;
  };
}
