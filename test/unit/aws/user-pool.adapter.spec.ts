import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
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
  DescribeUserPoolCommand,
  InvalidPasswordException,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { cognitoSecretHash } from '../../../src/aws/secret-hash.js';
import { UserPoolAdapter } from '../../../src/aws/user-pool.adapter.js';
import { loadConfig, type AppConfig } from '../../../src/config/app-config.js';
import { awsConfig, awsFailure } from './support.js';

const cognito = mockClient(CognitoIdentityProviderClient);
const POOL = 'eu-west-1_AbC123';
const CLIENT = 'client123';
const SECRET = 'sUp3r-s3cret';
const TOKENS = { IdToken: 'id.jwt', AccessToken: 'access.jwt', RefreshToken: 'refresh', ExpiresIn: 3600 };

function adapter(config: AppConfig = awsConfig()): UserPoolAdapter {
  return new UserPoolAdapter(config, new QuotaLimiter(config));
}
const withSecret = () => adapter(awsConfig({ COGNITO_CLIENT_SECRET: SECRET }));

function inputOf(command: unknown, index = 0): Record<string, unknown> {
  return cognito.commandCalls(command as never)[index]!.args[0].input as Record<string, unknown>;
}

describe('cognitoSecretHash', () => {
  it('is Base64(HMAC-SHA256(secret, username + clientId))', () => {
    const expected = createHmac('sha256', SECRET).update(`alice7${'abc123clientid'}`).digest('base64');
    expect(cognitoSecretHash(SECRET, 'alice7', 'abc123clientid')).toBe(expected);
    // Computed independently with: printf 'alice7abc123clientid' | openssl dgst -sha256 -hmac 'sUp3r-s3cret' -binary | base64
    expect(cognitoSecretHash(SECRET, 'alice7', 'abc123clientid')).toBe('OtH7TZ63Knf4305b6VaQx52dIw9Ypw5oYeQlmeZv0rA=');
  });
});

describe('UserPoolAdapter', () => {
  beforeEach(() => cognito.reset());

  describe('AdminCreateUser', () => {
    const created = { User: { Username: 'alice', UserStatus: 'FORCE_CHANGE_PASSWORD' as const, Attributes: [{ Name: 'sub', Value: 'sub-1' }] } };

    it('suppresses the invitation and verifies the email it sets', async () => {
      cognito.on(AdminCreateUserCommand).resolves(created);
      await expect(
        adapter().createUser({ username: 'alice', email: 'a@example.com', temporaryPassword: 'Temp1234!', sendInvite: false }),
      ).resolves.toEqual({
        username: 'alice',
        sub: 'sub-1',
        status: 'FORCE_CHANGE_PASSWORD',
      });
      expect(inputOf(AdminCreateUserCommand)).toEqual({
        UserPoolId: POOL,
        Username: 'alice',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: 'a@example.com' },
          { Name: 'email_verified', Value: 'true' },
        ],
        TemporaryPassword: 'Temp1234!',
      });
    });

    it('sends the invitation by email when asked', async () => {
      cognito.on(AdminCreateUserCommand).resolves(created);
      await adapter().createUser({ username: 'alice', email: 'a@example.com', sendInvite: true });
      expect(inputOf(AdminCreateUserCommand)).toEqual({
        UserPoolId: POOL,
        Username: 'alice',
        UserAttributes: [
          { Name: 'email', Value: 'a@example.com' },
          { Name: 'email_verified', Value: 'true' },
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      });
    });

    it('sends only the username when nothing else is given', async () => {
      cognito.on(AdminCreateUserCommand).resolves(created);
      await adapter().createUser({ username: 'alice', sendInvite: false });
      expect(inputOf(AdminCreateUserCommand)).toEqual({ UserPoolId: POOL, Username: 'alice', MessageAction: 'SUPPRESS' });
    });

    it('passes the password policy text to the caller and maps duplicates to CONFLICT', async () => {
      cognito
        .on(AdminCreateUserCommand)
        .rejectsOnce(new InvalidPasswordException({ message: 'Password does not conform to policy: Password not long enough', $metadata: {} }));
      await expect(adapter().createUser({ username: 'alice', temporaryPassword: 'short', sendInvite: false })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'Password does not conform to policy: Password not long enough',
      });
      cognito.on(AdminCreateUserCommand).rejects(awsFailure('UsernameExistsException'));
      await expect(adapter().createUser({ username: 'alice', sendInvite: false })).rejects.toMatchObject({ code: 'CONFLICT' });
    });
  });

  it.each([
    ['disableUser', AdminDisableUserCommand],
    ['enableUser', AdminEnableUserCommand],
    ['signOutEverywhere', AdminUserGlobalSignOutCommand],
    ['deleteUser', AdminDeleteUserCommand],
  ] as const)('%s sends its admin command for the user', async (method, command) => {
    cognito.on(command as never).resolves({});
    await adapter()[method]('alice');
    expect(inputOf(command)).toEqual({ UserPoolId: POOL, Username: 'alice' });
  });

  it('asks AdminGetUser whether a user exists; UserNotFoundException means no', async () => {
    cognito.on(AdminGetUserCommand).resolvesOnce({ Username: 'alice' }).rejectsOnce(awsFailure('UserNotFoundException'));
    await expect(adapter().userExists('alice')).resolves.toBe(true);
    await expect(adapter().userExists('ghost')).resolves.toBe(false);
    expect(inputOf(AdminGetUserCommand, 1)).toEqual({ UserPoolId: POOL, Username: 'ghost' });
    cognito.on(AdminGetUserCommand).rejects(awsFailure('TooManyRequestsException'));
    await expect(adapter().userExists('alice')).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
  });

  it("reads a user's standing with AdminGetUser and every page of AdminListGroupsForUser", async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'root', Enabled: true, UserAttributes: [{ Name: 'sub', Value: 'sub-root' }] });
    cognito
      .on(AdminListGroupsForUserCommand)
      .resolvesOnce({ Groups: [{ GroupName: 'admins' }], NextToken: 'page-2' })
      .resolvesOnce({ Groups: [{ GroupName: 'operators' }] });
    await expect(adapter().standingOf('root')).resolves.toEqual({ sub: 'sub-root', enabled: true, groups: ['admins', 'operators'] });
    expect(inputOf(AdminGetUserCommand)).toEqual({ UserPoolId: POOL, Username: 'root' });
    expect(inputOf(AdminListGroupsForUserCommand, 0)).toEqual({ UserPoolId: POOL, Username: 'root', Limit: 60, NextToken: undefined });
    expect(inputOf(AdminListGroupsForUserCommand, 1)).toEqual({ UserPoolId: POOL, Username: 'root', Limit: 60, NextToken: 'page-2' });
  });

  it('reads a disabled user as not enabled, and an unknown one as no standing at all', async () => {
    cognito
      .on(AdminGetUserCommand)
      .resolvesOnce({ Username: 'root', Enabled: false, UserAttributes: [{ Name: 'sub', Value: 'sub-root' }] })
      .rejectsOnce(awsFailure('UserNotFoundException'));
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(adapter().standingOf('root')).resolves.toEqual({ sub: 'sub-root', enabled: false, groups: [] });
    await expect(adapter().standingOf('ghost')).resolves.toBeUndefined();
    expect(cognito.commandCalls(AdminListGroupsForUserCommand)).toHaveLength(1);
  });

  it('marks the user with the row id in custom:iotp_user_id', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: 'alice', Attributes: [{ Name: 'sub', Value: 'sub-1' }] } });
    const userId = '0b3c2a4e-6f1d-4a52-9a0e-5d1c7e2b9f10';
    await adapter().createUser({ username: 'alice', sendInvite: false, userId });
    expect(inputOf(AdminCreateUserCommand)).toEqual({
      UserPoolId: POOL,
      Username: 'alice',
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'custom:iotp_user_id', Value: userId }],
    });
  });

  it('findUser reads AdminGetUser, its marker included; UserNotFoundException is undefined', async () => {
    const createdAt = new Date('2026-01-02T03:04:05Z');
    cognito
      .on(AdminGetUserCommand)
      .resolvesOnce({
        Username: 'alice',
        UserStatus: 'FORCE_CHANGE_PASSWORD',
        Enabled: true,
        UserCreateDate: createdAt,
        UserAttributes: [
          { Name: 'sub', Value: 'sub-1' },
          { Name: 'custom:iotp_user_id', Value: 'row-1' },
        ],
      })
      .rejectsOnce(awsFailure('UserNotFoundException'));
    await expect(adapter().findUser('alice')).resolves.toEqual({
      username: 'alice',
      sub: 'sub-1',
      status: 'FORCE_CHANGE_PASSWORD',
      enabled: true,
      userId: 'row-1',
      createdAt,
    });
    await expect(adapter().findUser('ghost')).resolves.toBeUndefined();
    expect(inputOf(AdminGetUserCommand, 1)).toEqual({ UserPoolId: POOL, Username: 'ghost' });
  });

  it('listUsers pages ListUsers with PaginationToken, 60 at a time', async () => {
    const createdAt = new Date('2026-01-02T03:04:05Z');
    cognito.on(ListUsersCommand).resolves({
      Users: [{ Username: 'bob', UserStatus: 'CONFIRMED', Enabled: false, UserCreateDate: createdAt, Attributes: [{ Name: 'sub', Value: 'sub-2' }] }],
      PaginationToken: 'p2',
    });
    await expect(adapter().listUsers('p1')).resolves.toEqual({
      items: [{ username: 'bob', sub: 'sub-2', status: 'CONFIRMED', enabled: false, createdAt }],
      nextToken: 'p2',
    });
    expect(inputOf(ListUsersCommand)).toEqual({ UserPoolId: POOL, Limit: 60, PaginationToken: 'p1' });
  });

  it('maps UserNotFoundException to NOT_FOUND outside sign-in', async () => {
    cognito.on(AdminDeleteUserCommand).rejects(awsFailure('UserNotFoundException'));
    await expect(adapter().deleteUser('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('sign-in', () => {
    it('ADMIN_USER_PASSWORD_AUTH returns tokens; no SECRET_HASH without a client secret', async () => {
      cognito.on(AdminInitiateAuthCommand).resolves({ AuthenticationResult: TOKENS });
      await expect(adapter().signIn('alice', 'Passw0rd!')).resolves.toEqual({
        kind: 'tokens',
        tokens: { idToken: 'id.jwt', accessToken: 'access.jwt', refreshToken: 'refresh', expiresIn: 3600 },
      });
      expect(inputOf(AdminInitiateAuthCommand)).toEqual({
        UserPoolId: POOL,
        ClientId: CLIENT,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice', PASSWORD: 'Passw0rd!' },
      });
    });

    it('carries SECRET_HASH on every client call when the client has a secret', async () => {
      cognito.on(AdminInitiateAuthCommand).resolves({ AuthenticationResult: TOKENS });
      cognito.on(AdminRespondToAuthChallengeCommand).resolves({ AuthenticationResult: TOKENS });
      const hash = createHmac('sha256', SECRET).update(`alice${CLIENT}`).digest('base64');
      await withSecret().signIn('alice', 'Passw0rd!');
      await withSecret().refresh('alice', 'refresh');
      await withSecret().completeNewPassword('alice', 'session', 'NewPassw0rd!');
      expect(inputOf(AdminInitiateAuthCommand, 0).AuthParameters).toEqual({ USERNAME: 'alice', PASSWORD: 'Passw0rd!', SECRET_HASH: hash });
      expect(inputOf(AdminInitiateAuthCommand, 1).AuthParameters).toEqual({ REFRESH_TOKEN: 'refresh', SECRET_HASH: hash });
      expect(inputOf(AdminRespondToAuthChallengeCommand).ChallengeResponses).toEqual({
        USERNAME: 'alice',
        NEW_PASSWORD: 'NewPassw0rd!',
        SECRET_HASH: hash,
      });
    });

    it('NEW_PASSWORD_REQUIRED becomes a challenge with its session', async () => {
      cognito.on(AdminInitiateAuthCommand).resolves({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 'sess' });
      await expect(adapter().signIn('alice', 'Temp1234!')).resolves.toEqual({
        kind: 'challenge',
        challenge: 'NEW_PASSWORD_REQUIRED',
        session: 'sess',
      });
    });

    it('any other challenge is FORBIDDEN naming it', async () => {
      cognito.on(AdminInitiateAuthCommand).resolves({ ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'sess' });
      await expect(adapter().signIn('alice', 'Passw0rd!')).rejects.toMatchObject({ code: 'FORBIDDEN', details: { challenge: 'SOFTWARE_TOKEN_MFA' } });
    });

    it('AdminRespondToAuthChallenge answers NEW_PASSWORD_REQUIRED', async () => {
      cognito.on(AdminRespondToAuthChallengeCommand).resolves({ AuthenticationResult: TOKENS });
      await adapter().completeNewPassword('alice', 'sess', 'NewPassw0rd!');
      expect(inputOf(AdminRespondToAuthChallengeCommand)).toEqual({
        UserPoolId: POOL,
        ClientId: CLIENT,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: 'sess',
        ChallengeResponses: { USERNAME: 'alice', NEW_PASSWORD: 'NewPassw0rd!' },
      });
    });

    it('REFRESH_TOKEN_AUTH returns tokens without a new refresh token', async () => {
      cognito.on(AdminInitiateAuthCommand).resolves({ AuthenticationResult: { IdToken: 'id2', AccessToken: 'access2', ExpiresIn: 3600 } });
      await expect(adapter().refresh('alice', 'refresh')).resolves.toEqual({
        kind: 'tokens',
        tokens: { idToken: 'id2', accessToken: 'access2', expiresIn: 3600 },
      });
      expect(inputOf(AdminInitiateAuthCommand)).toEqual({
        UserPoolId: POOL,
        ClientId: CLIENT,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: 'refresh' },
      });
    });

    it.each([
      ['Incorrect username or password.', 'INVALID_CREDENTIALS', undefined],
      ['User is disabled.', 'FORBIDDEN', 'USER_DISABLED'],
    ])('NotAuthorizedException "%s" → %s', async (message, code, reason) => {
      cognito.on(AdminInitiateAuthCommand).rejects(awsFailure('NotAuthorizedException', message));
      const error = await adapter()
        .signIn('alice', 'wrong-password')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code });
      if (reason) expect(error).toMatchObject({ details: { reason } });
      expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('wrong-password');
    });

    it('does not reveal unknown users at sign-in', async () => {
      cognito.on(AdminInitiateAuthCommand).rejects(awsFailure('UserNotFoundException', 'User does not exist.'));
      await expect(adapter().signIn('ghost', 'x')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    });

    it('maps TooManyRequestsException to AWS_THROTTLED with a retry hint', async () => {
      cognito.on(AdminInitiateAuthCommand).rejects(awsFailure('TooManyRequestsException'));
      const error = await adapter()
        .signIn('alice', 'x')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'AWS_THROTTLED', retryAfterSeconds: 1 });
    });
  });

  it('DescribeUserPool gives the pool ARN', async () => {
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Arn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123' } });
    await expect(adapter().userPoolArn()).resolves.toBe('arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123');
    expect(inputOf(DescribeUserPoolCommand)).toEqual({ UserPoolId: POOL });
  });

  it('refuses with AWS_NOT_CONFIGURED when settings are missing', async () => {
    const config = awsConfig({ COGNITO_USER_POOL_ID: '', COGNITO_CLIENT_ID: '' });
    await expect(adapter(config).signIn('alice', 'x')).rejects.toMatchObject({
      code: 'AWS_NOT_CONFIGURED',
      message: 'AWS is not configured: set COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID',
    });
    expect(cognito.calls()).toHaveLength(0);
  });
});

describe('UserPoolAdapter: bootstrap calls', () => {
  beforeEach(() => cognito.reset());
  /** Bootstrap runs before any pool exists: the region alone must do. */
  const regionOnly = () => adapter(loadConfig({ AWS_REGION: 'eu-west-1' }));
  const ARN = 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Found2';

  it('finds a pool by name across ListUserPools pages, then reads its ARN', async () => {
    cognito
      .on(ListUserPoolsCommand, { MaxResults: 60, NextToken: undefined })
      .resolves({ UserPools: [{ Id: 'eu-west-1_Other1', Name: 'other' }], NextToken: 'page2' })
      .on(ListUserPoolsCommand, { MaxResults: 60, NextToken: 'page2' })
      .resolves({ UserPools: [{ Id: 'eu-west-1_Found2', Name: 'iotp-users' }] });
    cognito.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: 'eu-west-1_Found2', Arn: ARN } });

    await expect(regionOnly().findUserPool('iotp-users')).resolves.toEqual({ userPoolId: 'eu-west-1_Found2', arn: ARN });
    expect(inputOf(ListUserPoolsCommand, 0)).toEqual({ MaxResults: 60 });
    expect(inputOf(ListUserPoolsCommand, 1)).toEqual({ MaxResults: 60, NextToken: 'page2' });
    expect(inputOf(DescribeUserPoolCommand)).toEqual({ UserPoolId: 'eu-west-1_Found2' });
  });

  it('answers undefined when no pool has the name, and CONFLICT when several do', async () => {
    cognito.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: 'eu-west-1_Other1', Name: 'other' }] });
    await expect(regionOnly().findUserPool('iotp-users')).resolves.toBeUndefined();
    expect(cognito.commandCalls(DescribeUserPoolCommand)).toHaveLength(0);

    cognito.on(ListUserPoolsCommand).resolves({
      UserPools: [
        { Id: 'eu-west-1_A1', Name: 'iotp-users' },
        { Id: 'eu-west-1_B2', Name: 'iotp-users' },
      ],
    });
    await expect(regionOnly().findUserPool('iotp-users')).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { ids: ['eu-west-1_A1', 'eu-west-1_B2'] },
    });
  });

  it('CreateUserPool: admin-created users only, case-insensitive usernames', async () => {
    cognito.on(CreateUserPoolCommand).resolves({ UserPool: { Id: 'eu-west-1_New1', Arn: ARN } });
    await expect(regionOnly().createUserPool('iotp-users')).resolves.toEqual({ userPoolId: 'eu-west-1_New1', arn: ARN });
    expect(inputOf(CreateUserPoolCommand)).toEqual({
      PoolName: 'iotp-users',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameConfiguration: { CaseSensitive: false },
      Schema: [
        { Name: 'iotp_user_id', AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MinLength: '36', MaxLength: '36' } },
      ],
    });
  });

  it('finds an app client by name across ListUserPoolClients pages', async () => {
    cognito
      .on(ListUserPoolClientsCommand, { UserPoolId: 'eu-west-1_New1', MaxResults: 60, NextToken: undefined })
      .resolves({ UserPoolClients: [{ ClientId: 'web1', ClientName: 'web' }], NextToken: 'p2' })
      .on(ListUserPoolClientsCommand, { UserPoolId: 'eu-west-1_New1', MaxResults: 60, NextToken: 'p2' })
      .resolves({ UserPoolClients: [{ ClientId: 'app1', ClientName: 'iotp-app' }] });
    await expect(regionOnly().findAppClient('eu-west-1_New1', 'iotp-app')).resolves.toBe('app1');
    expect(inputOf(ListUserPoolClientsCommand, 1)).toEqual({ UserPoolId: 'eu-west-1_New1', MaxResults: 60, NextToken: 'p2' });
  });

  it('CreateUserPoolClient: no secret, admin password and refresh flows only, no user enumeration', async () => {
    cognito.on(CreateUserPoolClientCommand).resolves({ UserPoolClient: { ClientId: 'app1' } });
    await expect(regionOnly().createAppClient('eu-west-1_New1', 'iotp-app')).resolves.toBe('app1');
    expect(inputOf(CreateUserPoolClientCommand)).toEqual({
      UserPoolId: 'eu-west-1_New1',
      ClientName: 'iotp-app',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('still needs the region', async () => {
    await expect(adapter(loadConfig({ AWS_MODE: 'aws' })).findUserPool('iotp-users')).rejects.toMatchObject({
      code: 'AWS_NOT_CONFIGURED',
      message: 'AWS is not configured: set AWS_REGION',
    });
    expect(cognito.calls()).toHaveLength(0);
  });
});
