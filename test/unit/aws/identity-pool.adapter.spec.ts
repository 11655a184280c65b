import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  DeleteIdentitiesCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  ListIdentityPoolsCommand,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity';
import { IdentityPoolAdapter } from '../../../src/aws/identity-pool.adapter.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { loadConfig, type AppConfig } from '../../../src/config/app-config.js';
import { AWS_ENV, awsConfig, awsFailure } from './support.js';

const identity = mockClient(CognitoIdentityClient);
const LOGINS = { 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123': 'id.jwt' };
const ID = 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001';

function adapter(config: AppConfig = awsConfig()): IdentityPoolAdapter {
  return new IdentityPoolAdapter(config, new QuotaLimiter(config));
}

describe('IdentityPoolAdapter', () => {
  beforeEach(() => identity.reset());

  it('GetId with the user pool as login provider', async () => {
    identity.on(GetIdCommand).resolves({ IdentityId: ID });
    await expect(adapter().getIdentityId('id.jwt')).resolves.toBe(ID);
    expect(identity.commandCalls(GetIdCommand)[0]!.args[0].input).toEqual({ IdentityPoolId: AWS_ENV.COGNITO_IDENTITY_POOL_ID, Logins: LOGINS });
  });

  it('GetCredentialsForIdentity returns credentials with a Date expiration', async () => {
    const expiration = new Date('2030-01-01T00:00:00Z');
    identity.on(GetCredentialsForIdentityCommand).resolves({
      IdentityId: ID,
      Credentials: { AccessKeyId: 'ASIA1', SecretKey: 'secret', SessionToken: 'token', Expiration: expiration },
    });
    await expect(adapter().getCredentials(ID, 'id.jwt')).resolves.toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration,
    });
    expect(identity.commandCalls(GetCredentialsForIdentityCommand)[0]!.args[0].input).toEqual({ IdentityId: ID, Logins: LOGINS });
  });

  it('DeleteIdentities for one id', async () => {
    identity.on(DeleteIdentitiesCommand).resolves({ UnprocessedIdentityIds: [] });
    await adapter().deleteIdentity(ID);
    expect(identity.commandCalls(DeleteIdentitiesCommand)[0]!.args[0].input).toEqual({ IdentityIdsToDelete: [ID] });
  });

  it.each([
    ['IdentityNotFound', 'NOT_FOUND'],
    ['AccessDenied', 'AWS_UNAVAILABLE'],
    ['InternalServerError', 'AWS_UNAVAILABLE'],
  ])('an unprocessed id with %s → %s', async (errorCode, code) => {
    identity.on(DeleteIdentitiesCommand).resolves({ UnprocessedIdentityIds: [{ IdentityId: ID, ErrorCode: errorCode as never }] });
    await expect(adapter().deleteIdentity(ID)).rejects.toMatchObject({ code });
  });

  it.each([
    ['NotAuthorizedException', 'UNAUTHENTICATED'],
    ['ResourceNotFoundException', 'NOT_FOUND'],
    ['TooManyRequestsException', 'AWS_THROTTLED'],
    ['InternalErrorException', 'AWS_UNAVAILABLE'],
  ])('maps %s to %s', async (name, code) => {
    identity.on(GetCredentialsForIdentityCommand).rejects(awsFailure(name));
    await expect(adapter().getCredentials(ID, 'id.jwt')).rejects.toMatchObject({ code });
  });

  it.each([
    ['GetId', () => adapter().getIdentityId('id.jwt')],
    ['GetCredentialsForIdentity', () => adapter().getCredentials(ID, 'id.jwt')],
  ])("answers 401 'sign in again' when %s refuses the ID token of a signed-out or deleted user", async (api, call) => {
    // What a pool with ServerSideTokenCheck answers for such a token: NotAuthorizedException, HTTP 400.
    const refusal = new NotAuthorizedException({ message: 'Invalid login token. Token is revoked.', $metadata: { httpStatusCode: 400 } });
    identity.on(GetIdCommand).rejects(refusal);
    identity.on(GetCredentialsForIdentityCommand).rejects(refusal);
    await expect(call()).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      details: { awsError: 'NotAuthorizedException', api, reason: 'SIGN_IN_AGAIN' },
    });
  });

  it('refuses with AWS_NOT_CONFIGURED when settings are missing', async () => {
    await expect(adapter(awsConfig({ COGNITO_IDENTITY_POOL_ID: '' })).getIdentityId('id.jwt')).rejects.toMatchObject({
      code: 'AWS_NOT_CONFIGURED',
      message: 'AWS is not configured: set COGNITO_IDENTITY_POOL_ID',
    });
    expect(identity.calls()).toHaveLength(0);
  });
});

describe('IdentityPoolAdapter: bootstrap calls', () => {
  beforeEach(() => identity.reset());
  /** Bootstrap runs before any pool exists: the region alone must do. */
  const regionOnly = () => adapter(loadConfig({ AWS_REGION: 'eu-west-1' }));

  it('finds an identity pool by name across ListIdentityPools pages', async () => {
    identity
      .on(ListIdentityPoolsCommand, { MaxResults: 60, NextToken: undefined })
      .resolves({ IdentityPools: [{ IdentityPoolId: 'eu-west-1:aaaa', IdentityPoolName: 'other' }], NextToken: 'p2' })
      .on(ListIdentityPoolsCommand, { MaxResults: 60, NextToken: 'p2' })
      .resolves({ IdentityPools: [{ IdentityPoolId: ID, IdentityPoolName: 'iotp-identities' }] });
    await expect(regionOnly().findIdentityPool('iotp-identities')).resolves.toBe(ID);
    expect(identity.commandCalls(ListIdentityPoolsCommand).map((call) => call.args[0].input)).toEqual([
      { MaxResults: 60 },
      { MaxResults: 60, NextToken: 'p2' },
    ]);
  });

  it('answers undefined when no identity pool has the name, and CONFLICT when several do', async () => {
    identity.on(ListIdentityPoolsCommand).resolves({ IdentityPools: [] });
    await expect(regionOnly().findIdentityPool('iotp-identities')).resolves.toBeUndefined();
    identity.on(ListIdentityPoolsCommand).resolves({
      IdentityPools: [
        { IdentityPoolId: 'eu-west-1:aaaa', IdentityPoolName: 'iotp-identities' },
        { IdentityPoolId: 'eu-west-1:bbbb', IdentityPoolName: 'iotp-identities' },
      ],
    });
    await expect(regionOnly().findIdentityPool('iotp-identities')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('CreateIdentityPool trusts the app client of the user pool, with unauthenticated access off', async () => {
    identity
      .on(CreateIdentityPoolCommand)
      .resolves({ IdentityPoolId: ID, IdentityPoolName: 'iotp-identities', AllowUnauthenticatedIdentities: false });
    await expect(regionOnly().createIdentityPool({ name: 'iotp-identities', userPoolId: 'eu-west-1_New1', clientId: 'app1' })).resolves.toBe(ID);
    expect(identity.commandCalls(CreateIdentityPoolCommand)[0]!.args[0].input).toEqual({
      IdentityPoolName: 'iotp-identities',
      AllowUnauthenticatedIdentities: false,
      CognitoIdentityProviders: [
        { ProviderName: 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_New1', ClientId: 'app1', ServerSideTokenCheck: true },
      ],
    });
  });

  it('still needs the region', async () => {
    await expect(adapter(loadConfig({ AWS_MODE: 'aws' })).findIdentityPool('iotp-identities')).rejects.toMatchObject({ code: 'AWS_NOT_CONFIGURED' });
    expect(identity.calls()).toHaveLength(0);
  });
});
