import { randomBytes, randomUUID } from 'node:crypto';
import { onlyMatch } from '../aws/aws-call.js';
import type { Page } from '../aws/iot.port.js';
import {
  USER_ID_ATTRIBUTE,
  UserPoolPort,
  type AuthOutcome,
  type CognitoTokens,
  type CreatedPoolUser,
  type PoolUser as DescribedUser,
  type PoolUserStanding,
  type UserPoolRef,
} from '../aws/user-pool.port.js';
import type { DomainError } from '../common/errors/domain-error.js';
import { LocalRuntime, awsError } from './local-runtime.js';
import { DEFAULT_SCRYPT_COST, hashPassword, hashPasswordSync, verifyPassword } from './password-hash.js';
import { InvalidTokenError, paginate } from './pagination.js';

export interface TokenClaims {
  sub: string;
  username: string;
  groups?: string[];
  email?: string;
}

/** Mints the JWTs the pool hands out (CognitoTokenIssuer signs them for real). */
export interface TokenIssuer {
  idToken(claims: TokenClaims): string;
  accessToken(claims: TokenClaims): string;
}

export interface PoolUser {
  username: string;
  sub: string;
  email?: string;
  status: 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED';
  enabled: boolean;
  /** scrypt hash with salt (password-hash.ts); never the clear text. */
  passwordHash: string;
  groups: Set<string>;
  /** USER_ID_ATTRIBUTE, immutable once set. */
  userId?: string;
  /** Milliseconds since the epoch (the state file holds JSON). */
  createdAt: number;
}

/** What a token check looks at: the claims of an ID token. */
export interface TokenClaimsSeen {
  sub?: unknown;
  jti?: unknown;
  iat?: unknown;
}

/** The pool as the sandbox writes it to its state file. */
export interface UserPoolData {
  users: Array<Omit<PoolUser, 'groups'> & { groups: string[] }>;
  refreshTokens: Array<[token: string, username: string]>;
  sessions: Array<[session: string, pending: { username: string; expiresAt: number }]>;
  issuedTokens: Array<[jti: string, issued: IssuedToken]>;
  revokedTokens: Array<[jti: string, expiresAt: number]>;
  signedOutAt: Array<[sub: string, at: number]>;
  deletedAt: Array<[sub: string, at: number]>;
  pools: UserPoolRecord[];
}

interface IssuedToken {
  username: string;
  expiresAt: number;
}

export interface LocalUserPoolOptions {
  tokens: TokenIssuer;
  runtime?: LocalRuntime;
  region?: string;
  accountId?: string;
  userPoolId?: string;
  /** Cognito's default policy asks for 8 characters; the local pool checks length only. */
  minPasswordLength?: number;
  /** scrypt's N for password hashes; tests lower it to stay fast. */
  passwordHashCost?: number;
  /** Whether the service's pool declares USER_ID_ATTRIBUTE (as `npm run bootstrap` makes it); default true. */
  userIdAttribute?: boolean;
  /** Users per ListUsers page; small so that callers' pagination is exercised. */
  pageSize?: number;
}

/** A pool created through the bootstrap calls; the pool the service uses (userPoolId) is implicit. */
export interface UserPoolRecord extends UserPoolRef {
  name: string;
  clients: Array<{ clientId: string; name: string }>;
}

/** Cognito keeps an auth challenge session for three minutes. */
const SESSION_TTL_MS = 3 * 60 * 1000;
const TOKEN_LIFETIME_SECONDS = 3600;

/**
 * A stateful Cognito user pool behind UserPoolPort: FORCE_CHANGE_PASSWORD users, the
 * NEW_PASSWORD_REQUIRED challenge, disabled users, refresh tokens revoked by global sign-out,
 * hashed passwords. It remembers which tokens a global sign-out or a deletion revoked, so the
 * identity pool's server-side token check can refuse them (isRevoked). It fails with the
 * DomainErrors the UserPoolAdapter would raise.
 */
export class LocalUserPool extends UserPoolPort {
  readonly runtime: LocalRuntime;
  readonly userPoolId: string;
  private readonly users = new Map<string, PoolUser>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly sessions = new Map<string, { username: string; expiresAt: number }>();
  private readonly tokens: TokenIssuer;
  private readonly arn: string;
  private readonly minPasswordLength: number;
  private readonly region: string;
  private readonly accountId: string;
  private readonly pools = new Map<string, UserPoolRecord>();
  private readonly passwordHashCost: number;
  /** Tokens the pool signed, by jti, until they expire. */
  private readonly issuedTokens = new Map<string, IssuedToken>();
  /** Tokens a global sign-out or deletion revoked, by jti, until they expire. */
  private readonly revokedTokens = new Map<string, number>();
  /** When each user last signed out everywhere, and when deleted users were deleted, for tokens the pool did not sign itself. */
  private readonly signedOutAt = new Map<string, number>();
  private readonly deletedAt = new Map<string, number>();
  private readonly userIdAttribute: boolean;
  private readonly pageSize: number;

  constructor(options: LocalUserPoolOptions) {
    super();
    this.runtime = options.runtime ?? new LocalRuntime();
    this.tokens = options.tokens;
    this.region = options.region ?? 'eu-west-1';
    this.accountId = options.accountId ?? '123456789012';
    this.userPoolId = options.userPoolId ?? `${this.region}_FakePool1`;
    this.arn = `arn:aws:cognito-idp:${this.region}:${this.accountId}:userpool/${this.userPoolId}`;
    this.minPasswordLength = options.minPasswordLength ?? 8;
    this.passwordHashCost = options.passwordHashCost ?? DEFAULT_SCRYPT_COST;
    this.userIdAttribute = options.userIdAttribute ?? true;
    this.pageSize = options.pageSize ?? 2;
  }

  // ---- test controls (not AWS calls, not logged) ----

  addToGroup(username: string, group: string): void {
    this.existing(username, 'AdminAddUserToGroup').groups.add(group);
  }

  removeFromGroup(username: string, group: string): void {
    this.existing(username, 'AdminRemoveUserFromGroup').groups.delete(group);
  }

  /** A CONFIRMED user that can sign in straight away. */
  seedUser(input: { username: string; password: string; email?: string; groups?: string[]; sub?: string }): PoolUser {
    this.runtime.secrets.add(input.password);
    const user: PoolUser = {
      username: input.username,
      sub: input.sub ?? randomUUID(),
      email: input.email,
      status: 'CONFIRMED',
      enabled: true,
      passwordHash: hashPasswordSync(input.password, this.passwordHashCost),
      groups: new Set(input.groups ?? []),
      createdAt: this.runtime.clock(),
    };
    this.users.set(user.username, user);
    return user;
  }

  /**
   * The server-side token check of an identity pool: whether a global sign-out or the user's
   * deletion revoked this ID token. Tokens the pool signed are known by jti; for others (an app's
   * own Cognito sign-in in tests) a token from a second before the sign-out counts as revoked.
   */
  isRevoked(claims: TokenClaimsSeen): boolean {
    if (typeof claims.jti === 'string') {
      if (this.revokedTokens.has(claims.jti)) return true;
      if (this.issuedTokens.has(claims.jti)) return false;
    }
    if (typeof claims.sub !== 'string') return true;
    const issuedAtMs = typeof claims.iat === 'number' ? (claims.iat + 1) * 1000 : 0;
    const cutOff = Math.max(this.signedOutAt.get(claims.sub) ?? -Infinity, this.deletedAt.get(claims.sub) ?? -Infinity);
    return issuedAtMs <= cutOff;
  }

  /** Records a token minted for a user outside a sign-in (an app's own Cognito sign-in, in tests), so a global sign-out revokes it too. */
  noteIssued(claims: Record<string, unknown>): void {
    const username = claims['cognito:username'] ?? claims.username;
    if (typeof claims.jti !== 'string' || typeof username !== 'string' || typeof claims.exp !== 'number') return;
    this.issuedTokens.set(claims.jti, { username, expiresAt: claims.exp * 1000 });
  }

  toData(): UserPoolData {
    return structuredClone({
      users: [...this.users.values()].map((user) => ({ ...user, groups: [...user.groups] })),
      refreshTokens: [...this.refreshTokens],
      sessions: [...this.sessions],
      issuedTokens: [...this.issuedTokens],
      revokedTokens: [...this.revokedTokens],
      signedOutAt: [...this.signedOutAt],
      deletedAt: [...this.deletedAt],
      pools: [...this.pools.values()],
    });
  }

  /** Replaces everything with what toData() returned earlier. */
  load(data: UserPoolData): void {
    const copy = structuredClone(data);
    const fill = <K, V>(map: Map<K, V>, entries: Array<[K, V]>) => {
      map.clear();
      for (const [key, value] of entries) map.set(key, value);
    };
    fill(
      this.users,
      copy.users.map((user) => [user.username, { ...user, groups: new Set(user.groups) }]),
    );
    fill(this.refreshTokens, copy.refreshTokens);
    fill(this.sessions, copy.sessions);
    fill(this.issuedTokens, copy.issuedTokens);
    fill(this.revokedTokens, copy.revokedTokens);
    fill(this.signedOutAt, copy.signedOutAt);
    fill(this.deletedAt, copy.deletedAt);
    fill(
      this.pools,
      copy.pools.map((pool) => [pool.userPoolId, pool]),
    );
  }

  user(username: string): PoolUser | undefined {
    return this.users.get(username);
  }

  /** Pools and app clients created by the bootstrap calls. */
  createdPools(): UserPoolRecord[] {
    return [...this.pools.values()].map((pool) => ({ ...pool, clients: [...pool.clients] }));
  }

  snapshot(): Array<{ username: string; sub: string; status: string; enabled: boolean; groups: string[] }> {
    return [...this.users.values()].map((u) => ({ username: u.username, sub: u.sub, status: u.status, enabled: u.enabled, groups: [...u.groups] }));
  }

  // ---- UserPoolPort ----

  createUser(input: {
    username: string;
    email?: string;
    temporaryPassword?: string;
    sendInvite: boolean;
    userId?: string;
  }): Promise<CreatedPoolUser> {
    const api = 'AdminCreateUser';
    const logged = {
      UserPoolId: this.userPoolId,
      Username: input.username,
      email: input.email,
      sendInvite: input.sendInvite,
      TemporaryPassword: input.temporaryPassword ? '***' : undefined,
      ...(input.userId ? { [USER_ID_ATTRIBUTE]: input.userId } : {}),
    };
    return this.call(api, logged, async () => {
      if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(input.username)) throw this.fail(api, 'InvalidParameterException', 'Invalid username');
      // Cognito refuses a custom attribute the pool's schema does not declare.
      if (input.userId !== undefined && !this.userIdAttribute)
        throw this.fail(
          api,
          'InvalidParameterException',
          'Attributes did not conform to the schema: Type for attribute {custom:iotp_user_id} could not be determined',
        );
      if (input.userId !== undefined && input.userId.length !== 36)
        throw this.fail(api, 'InvalidParameterException', 'Attributes did not conform to the schema: custom:iotp_user_id must be 36 characters');
      if (this.users.has(input.username)) throw this.fail(api, 'UsernameExistsException', 'User account already exists');
      const password = input.temporaryPassword ?? randomBytes(12).toString('base64url');
      this.checkPassword(api, password);
      const passwordHash = await hashPassword(password, this.passwordHashCost);
      if (this.users.has(input.username)) throw this.fail(api, 'UsernameExistsException', 'User account already exists');
      const user: PoolUser = {
        username: input.username,
        sub: randomUUID(),
        email: input.email,
        status: 'FORCE_CHANGE_PASSWORD',
        enabled: true,
        passwordHash,
        groups: new Set(),
        ...(input.userId ? { userId: input.userId } : {}),
        createdAt: this.runtime.clock(),
      };
      this.users.set(user.username, user);
      return { username: user.username, sub: user.sub, status: user.status };
    });
  }

  userExists(username: string): Promise<boolean> {
    return this.call('AdminGetUser', { UserPoolId: this.userPoolId, Username: username }, () => this.users.has(username));
  }

  /** AdminGetUser, then AdminListGroupsForUser (one page: a local user has few groups). */
  async standingOf(username: string): Promise<PoolUserStanding | undefined> {
    const user = await this.call('AdminGetUser', { UserPoolId: this.userPoolId, Username: username }, () => this.users.get(username));
    if (!user) return undefined;
    const groups = await this.call('AdminListGroupsForUser', { UserPoolId: this.userPoolId, Username: username, Limit: 60 }, () => [...user.groups]);
    return { sub: user.sub, enabled: user.enabled, groups };
  }

  findUser(username: string): Promise<DescribedUser | undefined> {
    return this.call('AdminGetUser', { UserPoolId: this.userPoolId, Username: username }, () => {
      const user = this.users.get(username);
      return user ? describe(user) : undefined;
    });
  }

  listUsers(nextToken?: string): Promise<Page<DescribedUser>> {
    const api = 'ListUsers';
    return this.call(api, { UserPoolId: this.userPoolId, Limit: 60, PaginationToken: nextToken }, () => {
      try {
        // Described after paging: a fleet-sized pool is walked once per page, not copied.
        const page = paginate([...this.users.values()], (user) => user.username, nextToken, this.pageSize);
        return { ...page, items: page.items.map(describe) };
      } catch (error) {
        if (error instanceof InvalidTokenError) throw this.fail(api, 'InvalidParameterException', 'Invalid pagination token');
        throw error;
      }
    });
  }

  async disableUser(username: string): Promise<void> {
    await this.call('AdminDisableUser', { Username: username }, () => void (this.existing(username, 'AdminDisableUser').enabled = false));
  }

  async enableUser(username: string): Promise<void> {
    await this.call('AdminEnableUser', { Username: username }, () => void (this.existing(username, 'AdminEnableUser').enabled = true));
  }

  async signOutEverywhere(username: string): Promise<void> {
    await this.call('AdminUserGlobalSignOut', { Username: username }, () => {
      const user = this.existing(username, 'AdminUserGlobalSignOut');
      this.revokeTokens(user);
      this.signedOutAt.set(user.sub, this.runtime.clock());
    });
  }

  async deleteUser(username: string): Promise<void> {
    await this.call('AdminDeleteUser', { Username: username }, () => {
      const user = this.existing(username, 'AdminDeleteUser');
      this.revokeTokens(user);
      this.deletedAt.set(user.sub, this.runtime.clock());
      this.users.delete(username);
    });
  }

  signIn(username: string, password: string): Promise<AuthOutcome> {
    this.runtime.secrets.add(password);
    const api = 'AdminInitiateAuth';
    return this.call(api, { AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', USERNAME: username }, async () => {
      const user = this.users.get(username);
      if (!user) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (!user.enabled) throw this.fail(api, 'NotAuthorizedException', 'User is disabled.');
      if (!(await verifyPassword(password, user.passwordHash))) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (this.users.get(username) !== user || !user.enabled) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (user.status === 'FORCE_CHANGE_PASSWORD') {
        const session = randomBytes(32).toString('base64url');
        this.sessions.set(session, { username, expiresAt: this.runtime.clock() + SESSION_TTL_MS });
        return { kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED', session };
      }
      // After the await: outside the action's synchronous part, so clocked on its own.
      return { kind: 'tokens', tokens: this.runtime.clocked(() => this.issue(user, true)) };
    });
  }

  completeNewPassword(username: string, session: string, newPassword: string): Promise<AuthOutcome> {
    const api = 'AdminRespondToAuthChallenge';
    return this.call(api, { ChallengeName: 'NEW_PASSWORD_REQUIRED', USERNAME: username }, async () => {
      const pending = this.sessions.get(session);
      if (!pending || pending.username !== username) throw this.fail(api, 'NotAuthorizedException', 'Invalid session for the user.');
      if (pending.expiresAt < this.runtime.clock())
        throw this.fail(api, 'NotAuthorizedException', 'Invalid session for the user, session is expired.');
      const user = this.users.get(username);
      if (!user) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (!user.enabled) throw this.fail(api, 'NotAuthorizedException', 'User is disabled.');
      this.checkPassword(api, newPassword);
      this.sessions.delete(session);
      user.passwordHash = await hashPassword(newPassword, this.passwordHashCost);
      user.status = 'CONFIRMED';
      return { kind: 'tokens', tokens: this.runtime.clocked(() => this.issue(user, true)) };
    });
  }

  /** REFRESH_TOKEN_AUTH returns new ID and access tokens but no new refresh token. */
  refresh(username: string, refreshToken: string): Promise<AuthOutcome> {
    const api = 'AdminInitiateAuth';
    return this.call(api, { AuthFlow: 'REFRESH_TOKEN_AUTH', USERNAME: username }, () => {
      const owner = this.refreshTokens.get(refreshToken);
      if (!owner || owner !== username) throw this.fail(api, 'NotAuthorizedException', 'Invalid Refresh Token');
      const user = this.users.get(owner)!;
      if (!user.enabled) throw this.fail(api, 'NotAuthorizedException', 'User is disabled.');
      return { kind: 'tokens', tokens: this.issue(user, false) };
    });
  }

  userPoolArn(): Promise<string> {
    return this.call('DescribeUserPool', { UserPoolId: this.userPoolId }, () => this.arn);
  }

  async findUserPool(name: string): Promise<UserPoolRef | undefined> {
    const matches = await this.call('ListUserPools', { MaxResults: 60 }, () => [...this.pools.values()].filter((pool) => pool.name === name));
    const userPoolId = onlyMatch(
      matches.map((pool) => pool.userPoolId),
      `user pools named ${name}`,
    );
    if (!userPoolId) return undefined;
    return this.call('DescribeUserPool', { UserPoolId: userPoolId }, () => ({ userPoolId, arn: this.pools.get(userPoolId)!.arn }));
  }

  createUserPool(name: string): Promise<UserPoolRef> {
    const input = {
      PoolName: name,
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameConfiguration: { CaseSensitive: false },
      Schema: [
        { Name: 'iotp_user_id', AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MinLength: '36', MaxLength: '36' } },
      ],
    };
    return this.call('CreateUserPool', input, () => {
      const userPoolId = `${this.region}_${randomBytes(6).toString('hex')}`;
      const pool: UserPoolRecord = {
        userPoolId,
        arn: `arn:aws:cognito-idp:${this.region}:${this.accountId}:userpool/${userPoolId}`,
        name,
        clients: [],
      };
      this.pools.set(userPoolId, pool);
      return { userPoolId, arn: pool.arn };
    });
  }

  async findAppClient(userPoolId: string, name: string): Promise<string | undefined> {
    const ids = await this.call('ListUserPoolClients', { UserPoolId: userPoolId, MaxResults: 60 }, () =>
      this.createdPool('ListUserPoolClients', userPoolId)
        .clients.filter((client) => client.name === name)
        .map((client) => client.clientId),
    );
    return onlyMatch(ids, `app clients named ${name}`);
  }

  createAppClient(userPoolId: string, name: string): Promise<string> {
    const api = 'CreateUserPoolClient';
    const input = { UserPoolId: userPoolId, ClientName: name, ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] };
    return this.call(api, input, () => {
      const clientId = randomBytes(13).toString('hex');
      this.createdPool(api, userPoolId).clients.push({ clientId, name });
      return clientId;
    });
  }

  private createdPool(api: string, userPoolId: string): UserPoolRecord {
    const pool = this.pools.get(userPoolId);
    if (!pool) throw this.fail(api, 'ResourceNotFoundException', `User pool ${userPoolId} does not exist.`);
    return pool;
  }

  private issue(user: PoolUser, withRefreshToken: boolean): CognitoTokens {
    const claims: TokenClaims = { sub: user.sub, username: user.username, groups: [...user.groups], ...(user.email ? { email: user.email } : {}) };
    const tokens: CognitoTokens = {
      idToken: this.tokens.idToken(claims),
      accessToken: this.tokens.accessToken(claims),
      expiresIn: TOKEN_LIFETIME_SECONDS,
    };
    this.runtime.secrets.add(tokens.idToken).add(tokens.accessToken);
    this.forgetExpiredTokens();
    for (const token of [tokens.idToken, tokens.accessToken]) {
      const { jti, exp } = payloadOf(token);
      if (typeof jti === 'string')
        this.issuedTokens.set(jti, {
          username: user.username,
          expiresAt: typeof exp === 'number' ? exp * 1000 : this.runtime.clock() + TOKEN_LIFETIME_SECONDS * 1000,
        });
    }
    if (withRefreshToken) {
      tokens.refreshToken = randomBytes(48).toString('base64url');
      this.runtime.secrets.add(tokens.refreshToken);
      this.refreshTokens.set(tokens.refreshToken, user.username);
    }
    return tokens;
  }

  /** Global sign-out: refresh tokens stop working, and the identity pool's token check refuses the ID tokens issued so far. */
  private revokeTokens(user: PoolUser): void {
    for (const [token, owner] of this.refreshTokens) if (owner === user.username) this.refreshTokens.delete(token);
    for (const [jti, issued] of this.issuedTokens) {
      if (issued.username !== user.username) continue;
      this.issuedTokens.delete(jti);
      this.revokedTokens.set(jti, issued.expiresAt);
    }
  }

  /** Tokens past their expiry need no record: every check refuses them anyway. */
  private forgetExpiredTokens(): void {
    const now = this.runtime.clock();
    for (const [jti, issued] of this.issuedTokens) if (issued.expiresAt <= now) this.issuedTokens.delete(jti);
    for (const [jti, expiresAt] of this.revokedTokens) if (expiresAt <= now) this.revokedTokens.delete(jti);
    const oldest = now - TOKEN_LIFETIME_SECONDS * 1000;
    for (const map of [this.signedOutAt, this.deletedAt]) for (const [sub, at] of map) if (at < oldest) map.delete(sub);
  }

  private checkPassword(api: string, password: string): void {
    this.runtime.secrets.add(password);
    if (password.length < this.minPasswordLength) {
      throw this.fail(api, 'InvalidPasswordException', 'Password does not conform to policy: Password not long enough');
    }
  }

  private existing(username: string, api: string): PoolUser {
    const user = this.users.get(username);
    if (!user) throw this.fail(api, 'UserNotFoundException', 'User does not exist.');
    return user;
  }

  private fail(api: string, name: string, message: string): DomainError {
    return awsError('cognito-idp', api, name, message);
  }

  private call<T>(api: string, input: Record<string, unknown>, action: () => T | Promise<T>): Promise<T> {
    return this.runtime.invoke('cognito-idp', api, input, action);
  }
}

function payloadOf(token: string): { jti?: unknown; exp?: unknown } {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown; exp?: unknown };
  } catch {
    return {};
  }
}

function describe(user: PoolUser): DescribedUser {
  return {
    username: user.username,
    sub: user.sub,
    status: user.status,
    enabled: user.enabled,
    ...(user.userId ? { userId: user.userId } : {}),
    createdAt: new Date(user.createdAt),
  };
}
