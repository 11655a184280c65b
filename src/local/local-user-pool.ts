import { randomBytes, randomUUID } from 'node:crypto';
import { onlyMatch } from '../aws/aws-call.js';
import { UserPoolPort, type AuthOutcome, type CognitoTokens, type CreatedPoolUser, type UserPoolRef } from '../aws/user-pool.port.js';
import type { DomainError } from '../common/errors/domain-error.js';
import { LocalRuntime, awsError } from './local-runtime.js';

export interface TokenClaims {
  sub: string;
  username: string;
  groups?: string[];
  email?: string;
}

/** Mints the JWTs the fake pool hands out; test/support/token-issuer.ts signs them for real. */
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
  password: string;
  groups: Set<string>;
}

export interface LocalUserPoolOptions {
  tokens: TokenIssuer;
  runtime?: LocalRuntime;
  region?: string;
  accountId?: string;
  userPoolId?: string;
  /** Cognito's default policy asks for 8 characters; the fake checks length only. */
  minPasswordLength?: number;
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
 * NEW_PASSWORD_REQUIRED challenge, disabled users, refresh tokens revoked by global sign-out.
 * It fails with the DomainErrors the UserPoolAdapter would raise.
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

  constructor(options: LocalUserPoolOptions) {
    super();
    this.runtime = options.runtime ?? new LocalRuntime();
    this.tokens = options.tokens;
    this.region = options.region ?? 'eu-west-1';
    this.accountId = options.accountId ?? '123456789012';
    this.userPoolId = options.userPoolId ?? `${this.region}_FakePool1`;
    this.arn = `arn:aws:cognito-idp:${this.region}:${this.accountId}:userpool/${this.userPoolId}`;
    this.minPasswordLength = options.minPasswordLength ?? 8;
  }

  // ---- test controls (not AWS calls, not logged) ----

  addToGroup(username: string, group: string): void {
    this.existing(username, 'AdminAddUserToGroup').groups.add(group);
  }

  removeFromGroup(username: string, group: string): void {
    this.existing(username, 'AdminRemoveUserFromGroup').groups.delete(group);
  }

  /** A CONFIRMED user that can sign in straight away. */
  seedUser(input: { username: string; password: string; email?: string; groups?: string[] }): PoolUser {
    this.runtime.secrets.add(input.password);
    const user: PoolUser = {
      username: input.username,
      sub: randomUUID(),
      email: input.email,
      status: 'CONFIRMED',
      enabled: true,
      password: input.password,
      groups: new Set(input.groups ?? []),
    };
    this.users.set(user.username, user);
    return user;
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

  createUser(input: { username: string; email?: string; temporaryPassword?: string; sendInvite: boolean }): Promise<CreatedPoolUser> {
    const api = 'AdminCreateUser';
    const logged = { UserPoolId: this.userPoolId, Username: input.username, email: input.email, sendInvite: input.sendInvite, TemporaryPassword: input.temporaryPassword ? '***' : undefined };
    return this.call(api, logged, () => {
      if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(input.username)) throw this.fail(api, 'InvalidParameterException', 'Invalid username');
      if (this.users.has(input.username)) throw this.fail(api, 'UsernameExistsException', 'User account already exists');
      const password = input.temporaryPassword ?? randomBytes(12).toString('base64url');
      this.checkPassword(api, password);
      const user: PoolUser = { username: input.username, sub: randomUUID(), email: input.email, status: 'FORCE_CHANGE_PASSWORD', enabled: true, password, groups: new Set() };
      this.users.set(user.username, user);
      return { username: user.username, sub: user.sub, status: user.status };
    });
  }

  userExists(username: string): Promise<boolean> {
    return this.call('AdminGetUser', { UserPoolId: this.userPoolId, Username: username }, () => this.users.has(username));
  }

  async disableUser(username: string): Promise<void> {
    await this.call('AdminDisableUser', { Username: username }, () => void (this.existing(username, 'AdminDisableUser').enabled = false));
  }

  async enableUser(username: string): Promise<void> {
    await this.call('AdminEnableUser', { Username: username }, () => void (this.existing(username, 'AdminEnableUser').enabled = true));
  }

  async signOutEverywhere(username: string): Promise<void> {
    await this.call('AdminUserGlobalSignOut', { Username: username }, () => {
      this.existing(username, 'AdminUserGlobalSignOut');
      this.revokeRefreshTokens(username);
    });
  }

  async deleteUser(username: string): Promise<void> {
    await this.call('AdminDeleteUser', { Username: username }, () => {
      this.existing(username, 'AdminDeleteUser');
      this.revokeRefreshTokens(username);
      this.users.delete(username);
    });
  }

  signIn(username: string, password: string): Promise<AuthOutcome> {
    this.runtime.secrets.add(password);
    const api = 'AdminInitiateAuth';
    return this.call(api, { AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', USERNAME: username }, () => {
      const user = this.users.get(username);
      if (!user) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (!user.enabled) throw this.fail(api, 'NotAuthorizedException', 'User is disabled.');
      if (user.password !== password) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (user.status === 'FORCE_CHANGE_PASSWORD') {
        const session = randomBytes(32).toString('base64url');
        this.sessions.set(session, { username, expiresAt: this.runtime.clock() + SESSION_TTL_MS });
        return { kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED', session };
      }
      return { kind: 'tokens', tokens: this.issue(user, true) };
    });
  }

  completeNewPassword(username: string, session: string, newPassword: string): Promise<AuthOutcome> {
    const api = 'AdminRespondToAuthChallenge';
    return this.call(api, { ChallengeName: 'NEW_PASSWORD_REQUIRED', USERNAME: username }, () => {
      const pending = this.sessions.get(session);
      if (!pending || pending.username !== username) throw this.fail(api, 'NotAuthorizedException', 'Invalid session for the user.');
      if (pending.expiresAt < this.runtime.clock()) throw this.fail(api, 'NotAuthorizedException', 'Invalid session for the user, session is expired.');
      const user = this.users.get(username);
      if (!user) throw this.fail(api, 'NotAuthorizedException', 'Incorrect username or password.');
      if (!user.enabled) throw this.fail(api, 'NotAuthorizedException', 'User is disabled.');
      this.checkPassword(api, newPassword);
      this.sessions.delete(session);
      user.password = newPassword;
      user.status = 'CONFIRMED';
      return { kind: 'tokens', tokens: this.issue(user, true) };
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
    const userPoolId = onlyMatch(matches.map((pool) => pool.userPoolId), `user pools named ${name}`);
    if (!userPoolId) return undefined;
    return this.call('DescribeUserPool', { UserPoolId: userPoolId }, () => ({ userPoolId, arn: this.pools.get(userPoolId)!.arn }));
  }

  createUserPool(name: string): Promise<UserPoolRef> {
    const input = { PoolName: name, AdminCreateUserConfig: { AllowAdminCreateUserOnly: true }, UsernameConfiguration: { CaseSensitive: false } };
    return this.call('CreateUserPool', input, () => {
      const userPoolId = `${this.region}_${randomBytes(6).toString('hex')}`;
      const pool: UserPoolRecord = { userPoolId, arn: `arn:aws:cognito-idp:${this.region}:${this.accountId}:userpool/${userPoolId}`, name, clients: [] };
      this.pools.set(userPoolId, pool);
      return { userPoolId, arn: pool.arn };
    });
  }

  async findAppClient(userPoolId: string, name: string): Promise<string | undefined> {
    const ids = await this.call('ListUserPoolClients', { UserPoolId: userPoolId, MaxResults: 60 }, () =>
      this.createdPool('ListUserPoolClients', userPoolId).clients.filter((client) => client.name === name).map((client) => client.clientId),
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
    const tokens: CognitoTokens = { idToken: this.tokens.idToken(claims), accessToken: this.tokens.accessToken(claims), expiresIn: TOKEN_LIFETIME_SECONDS };
    this.runtime.secrets.add(tokens.idToken).add(tokens.accessToken);
    if (withRefreshToken) {
      tokens.refreshToken = randomBytes(48).toString('base64url');
      this.runtime.secrets.add(tokens.refreshToken);
      this.refreshTokens.set(tokens.refreshToken, user.username);
    }
    return tokens;
  }

  private revokeRefreshTokens(username: string): void {
    for (const [token, owner] of this.refreshTokens) if (owner === username) this.refreshTokens.delete(token);
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

  private call<T>(api: string, input: Record<string, unknown>, action: () => T): Promise<T> {
    return this.runtime.invoke('cognito-idp', api, input, action);
  }
}
