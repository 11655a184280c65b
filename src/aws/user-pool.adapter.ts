import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  AdminRespondToAuthChallengeCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUsersCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  type AdminCreateUserCommandInput,
  type AttributeType,
  type AdminInitiateAuthCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import { DomainError, isDomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { awsClientOptions, withRetryRules } from './aws-client-options.js';
import { callAws, missingRegion, onlyMatch, required } from './aws-call.js';
import { QuotaLimiter } from './quota-limiter.js';
import { cognitoSecretHash } from './secret-hash.js';
import type { Page } from './iot.port.js';
import {
  USER_ID_ATTRIBUTE,
  UserPoolPort,
  type AuthOutcome,
  type CreatedPoolUser,
  type PoolUser,
  type PoolUserStanding,
  type UserPoolRef,
} from './user-pool.port.js';

/** The largest page ListUserPools, ListUserPoolClients, ListUsers and AdminListGroupsForUser allow. */
const MAX_PAGE = 60;

/** USER_ID_ATTRIBUTE as CreateUserPool declares it (Name without the custom: prefix): a row id, a UUID, set once. */
const USER_ID_SCHEMA = {
  Name: USER_ID_ATTRIBUTE.slice('custom:'.length),
  AttributeDataType: 'String' as const,
  Mutable: false,
  StringAttributeConstraints: { MinLength: '36', MaxLength: '36' },
};

@Injectable()
export class UserPoolAdapter extends UserPoolPort implements OnModuleDestroy {
  private sdk?: CognitoIdentityProviderClient;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: QuotaLimiter,
  ) {
    super();
  }

  onModuleDestroy(): void {
    this.sdk?.destroy();
  }

  async createUser(input: {
    username: string;
    email?: string;
    temporaryPassword?: string;
    sendInvite: boolean;
    userId?: string;
  }): Promise<CreatedPoolUser> {
    const request: AdminCreateUserCommandInput = { UserPoolId: this.config.cognito.userPoolId, Username: input.username };
    if (!input.sendInvite) request.MessageAction = 'SUPPRESS';
    const attributes: AttributeType[] = [];
    if (input.email) attributes.push({ Name: 'email', Value: input.email }, { Name: 'email_verified', Value: 'true' });
    if (input.userId) attributes.push({ Name: USER_ID_ATTRIBUTE, Value: input.userId });
    if (attributes.length > 0) request.UserAttributes = attributes;
    if (input.temporaryPassword) request.TemporaryPassword = input.temporaryPassword;
    if (input.sendInvite && input.email) request.DesiredDeliveryMediums = ['EMAIL'];

    const out = await this.call('AdminCreateUser', (c) => c.send(new AdminCreateUserCommand(request)));
    const user = required(out.User, 'User', 'AdminCreateUser');
    const sub = user.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    return {
      username: user.Username ?? input.username,
      sub: required(sub, 'User.Attributes.sub', 'AdminCreateUser'),
      status: user.UserStatus ?? 'UNKNOWN',
    };
  }

  async userExists(username: string): Promise<boolean> {
    try {
      await this.call('AdminGetUser', (c) => c.send(new AdminGetUserCommand(this.userKey(username))));
      return true;
    } catch (error) {
      if (isDomainError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  async findUser(username: string): Promise<PoolUser | undefined> {
    const api = 'AdminGetUser';
    try {
      const out = await this.call(api, (c) => c.send(new AdminGetUserCommand(this.userKey(username))));
      return poolUser({ ...out, Attributes: out.UserAttributes }, api);
    } catch (error) {
      if (isDomainError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  }

  async listUsers(nextToken?: string): Promise<Page<PoolUser>> {
    const api = 'ListUsers';
    const out = await this.call(api, (c) =>
      c.send(new ListUsersCommand({ UserPoolId: this.config.cognito.userPoolId, Limit: MAX_PAGE, PaginationToken: nextToken })),
    );
    return { items: (out.Users ?? []).map((user) => poolUser(user, api)), nextToken: out.PaginationToken };
  }

  async standingOf(username: string): Promise<PoolUserStanding | undefined> {
    let user;
    try {
      user = await this.call('AdminGetUser', (c) => c.send(new AdminGetUserCommand(this.userKey(username))));
    } catch (error) {
      if (isDomainError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
    const groups: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.call('AdminListGroupsForUser', (c) =>
        c.send(new AdminListGroupsForUserCommand({ ...this.userKey(username), Limit: MAX_PAGE, NextToken: token })),
      );
      for (const group of out.Groups ?? []) if (group.GroupName) groups.push(group.GroupName);
      token = out.NextToken;
    } while (token);
    const sub = user.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    return { sub: required(sub, 'UserAttributes.sub', 'AdminGetUser'), enabled: user.Enabled ?? false, groups };
  }

  async disableUser(username: string): Promise<void> {
    await this.call('AdminDisableUser', (c) => c.send(new AdminDisableUserCommand(this.userKey(username))));
  }

  async enableUser(username: string): Promise<void> {
    await this.call('AdminEnableUser', (c) => c.send(new AdminEnableUserCommand(this.userKey(username))));
  }

  async signOutEverywhere(username: string): Promise<void> {
    await this.call('AdminUserGlobalSignOut', (c) => c.send(new AdminUserGlobalSignOutCommand(this.userKey(username))));
  }

  async deleteUser(username: string): Promise<void> {
    await this.call('AdminDeleteUser', (c) => c.send(new AdminDeleteUserCommand(this.userKey(username))));
  }

  async signIn(username: string, password: string): Promise<AuthOutcome> {
    const out = await this.call('AdminInitiateAuth', (c) =>
      c.send(
        new AdminInitiateAuthCommand({
          ...this.clientKey(),
          AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: username, PASSWORD: password, ...this.secretHash(username) },
        }),
      ),
    );
    return toOutcome(out, 'AdminInitiateAuth');
  }

  async completeNewPassword(username: string, session: string, newPassword: string): Promise<AuthOutcome> {
    const out = await this.call('AdminRespondToAuthChallenge', (c) =>
      c.send(
        new AdminRespondToAuthChallengeCommand({
          ...this.clientKey(),
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: session,
          ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword, ...this.secretHash(username) },
        }),
      ),
    );
    return toOutcome(out, 'AdminRespondToAuthChallenge');
  }

  async refresh(username: string, refreshToken: string): Promise<AuthOutcome> {
    const out = await this.call('AdminInitiateAuth', (c) =>
      c.send(
        new AdminInitiateAuthCommand({
          ...this.clientKey(),
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: refreshToken, ...this.secretHash(username) },
        }),
      ),
    );
    return toOutcome(out, 'AdminInitiateAuth');
  }

  async userPoolArn(): Promise<string> {
    const out = await this.call('DescribeUserPool', (c) => c.send(new DescribeUserPoolCommand({ UserPoolId: this.config.cognito.userPoolId })));
    return required(out.UserPool?.Arn, 'UserPool.Arn', 'DescribeUserPool');
  }

  async findUserPool(name: string): Promise<UserPoolRef | undefined> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.setupCall('ListUserPools', (c) => c.send(new ListUserPoolsCommand({ MaxResults: MAX_PAGE, NextToken: token })));
      for (const pool of out.UserPools ?? []) if (pool.Name === name && pool.Id) ids.push(pool.Id);
      token = out.NextToken;
    } while (token);
    const userPoolId = onlyMatch(ids, `user pools named ${name}`);
    if (!userPoolId) return undefined;
    const out = await this.setupCall('DescribeUserPool', (c) => c.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId })));
    return { userPoolId, arn: required(out.UserPool?.Arn, 'UserPool.Arn', 'DescribeUserPool') };
  }

  async createUserPool(name: string): Promise<UserPoolRef> {
    const out = await this.setupCall('CreateUserPool', (c) =>
      c.send(
        new CreateUserPoolCommand({
          PoolName: name,
          AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
          UsernameConfiguration: { CaseSensitive: false },
          Schema: [USER_ID_SCHEMA],
        }),
      ),
    );
    return {
      userPoolId: required(out.UserPool?.Id, 'UserPool.Id', 'CreateUserPool'),
      arn: required(out.UserPool?.Arn, 'UserPool.Arn', 'CreateUserPool'),
    };
  }

  async findAppClient(userPoolId: string, name: string): Promise<string | undefined> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.setupCall('ListUserPoolClients', (c) =>
        c.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: MAX_PAGE, NextToken: token })),
      );
      for (const client of out.UserPoolClients ?? []) if (client.ClientName === name && client.ClientId) ids.push(client.ClientId);
      token = out.NextToken;
    } while (token);
    return onlyMatch(ids, `app clients named ${name}`);
  }

  async createAppClient(userPoolId: string, name: string): Promise<string> {
    const out = await this.setupCall('CreateUserPoolClient', (c) =>
      c.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: name,
          GenerateSecret: false,
          ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
          PreventUserExistenceErrors: 'ENABLED',
        }),
      ),
    );
    return required(out.UserPoolClient?.ClientId, 'UserPoolClient.ClientId', 'CreateUserPoolClient');
  }

  private userKey(username: string): { UserPoolId: string | undefined; Username: string } {
    return { UserPoolId: this.config.cognito.userPoolId, Username: username };
  }

  private clientKey(): { UserPoolId: string | undefined; ClientId: string | undefined } {
    return { UserPoolId: this.config.cognito.userPoolId, ClientId: this.config.cognito.clientId };
  }

  /** Every call that names the app client must prove it knows the client's secret, when there is one. */
  private secretHash(username: string): { SECRET_HASH?: string } {
    const { clientSecret, clientId } = this.config.cognito;
    return clientSecret && clientId ? { SECRET_HASH: cognitoSecretHash(clientSecret, username, clientId) } : {};
  }

  private call<T>(api: string, send: (client: CognitoIdentityProviderClient) => Promise<T>): Promise<T> {
    return callAws(this.config, this.limiter, { service: 'cognito-idp', api }, () => send(this.client()));
  }

  private setupCall<T>(api: string, send: (client: CognitoIdentityProviderClient) => Promise<T>): Promise<T> {
    return callAws(this.config, this.limiter, { service: 'cognito-idp', api }, () => send(this.client()), missingRegion);
  }

  private client(): CognitoIdentityProviderClient {
    this.sdk ??= withRetryRules(new CognitoIdentityProviderClient(awsClientOptions(this.config)));
    return this.sdk;
  }
}

interface UserShape {
  Username?: string;
  Attributes?: AttributeType[];
  UserStatus?: string;
  Enabled?: boolean;
  UserCreateDate?: Date;
}

function poolUser(user: UserShape, api: string): PoolUser {
  const attribute = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;
  const userId = attribute(USER_ID_ATTRIBUTE);
  return {
    username: required(user.Username, 'Username', api),
    sub: required(attribute('sub'), 'sub', api),
    status: user.UserStatus ?? 'UNKNOWN',
    enabled: user.Enabled !== false,
    ...(userId ? { userId } : {}),
    createdAt: user.UserCreateDate ?? new Date(0),
  };
}

type AuthResponse = Pick<AdminInitiateAuthCommandOutput, 'AuthenticationResult' | 'ChallengeName' | 'Session'>;

function toOutcome(out: AuthResponse, api: string): AuthOutcome {
  const result = out.AuthenticationResult;
  if (result) {
    return {
      kind: 'tokens',
      tokens: {
        idToken: required(result.IdToken, 'IdToken', api),
        accessToken: required(result.AccessToken, 'AccessToken', api),
        ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
        expiresIn: result.ExpiresIn ?? 3600,
      },
    };
  }
  if (out.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
    return { kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED', session: required(out.Session, 'Session', api) };
  }
  if (out.ChallengeName) {
    throw new DomainError('FORBIDDEN', 'Sign-in needs a step this service does not support', { challenge: out.ChallengeName });
  }
  throw new DomainError('AWS_UNAVAILABLE', `AWS returned neither tokens nor a challenge from ${api}`, { api });
}
