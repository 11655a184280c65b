import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  DeleteIdentitiesCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  ListIdentityPoolsCommand,
} from '@aws-sdk/client-cognito-identity';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { awsClientOptions, withRetryRules } from './aws-client-options.js';
import { callAws, missingRegion, onlyMatch, required } from './aws-call.js';
import { IdentityPoolPort, type AwsCredentials } from './identity-pool.port.js';
import { QuotaLimiter } from './quota-limiter.js';

/** The largest page ListIdentityPools allows. */
const MAX_PAGE = 60;

@Injectable()
export class IdentityPoolAdapter extends IdentityPoolPort implements OnModuleDestroy {
  private sdk?: CognitoIdentityClient;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: QuotaLimiter,
  ) {
    super();
  }

  onModuleDestroy(): void {
    this.sdk?.destroy();
  }

  async getIdentityId(idToken: string): Promise<string> {
    const out = await this.call('GetId', (c) =>
      c.send(new GetIdCommand({ IdentityPoolId: this.config.cognito.identityPoolId, Logins: this.logins(idToken) })),
    );
    return required(out.IdentityId, 'IdentityId', 'GetId');
  }

  async getCredentials(identityId: string, idToken: string): Promise<AwsCredentials> {
    const api = 'GetCredentialsForIdentity';
    const out = await this.call(api, (c) => c.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: this.logins(idToken) })));
    const credentials = required(out.Credentials, 'Credentials', api);
    return {
      accessKeyId: required(credentials.AccessKeyId, 'AccessKeyId', api),
      secretAccessKey: required(credentials.SecretKey, 'SecretKey', api),
      sessionToken: required(credentials.SessionToken, 'SessionToken', api),
      expiration: new Date(required(credentials.Expiration, 'Expiration', api)),
    };
  }

  async deleteIdentity(identityId: string): Promise<void> {
    const out = await this.call('DeleteIdentities', (c) => c.send(new DeleteIdentitiesCommand({ IdentityIdsToDelete: [identityId] })));
    // DeleteIdentities reports per-id failures in the response instead of throwing. AWS's model lists only
    // AccessDenied and InternalServerError and deletes unknown ids silently; 'IdentityNotFound' is handled
    // in case an emulator or a future API version reports it.
    const failure = out.UnprocessedIdentityIds?.[0];
    if (!failure) return;
    const code: string | undefined = failure.ErrorCode;
    const details = { api: 'DeleteIdentities', errorCode: code };
    if (code === 'IdentityNotFound') throw DomainError.notFound('Identity', details);
    if (code === 'AccessDenied') {
      throw new DomainError(
        'AWS_UNAVAILABLE',
        "AWS denied cognito-identity:DeleteIdentities: the service's IAM role is missing this permission",
        details,
      );
    }
    throw new DomainError('AWS_UNAVAILABLE', 'AWS could not delete the identity', details);
  }

  async findIdentityPool(name: string): Promise<string | undefined> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.setupCall('ListIdentityPools', (c) => c.send(new ListIdentityPoolsCommand({ MaxResults: MAX_PAGE, NextToken: token })));
      for (const pool of out.IdentityPools ?? []) if (pool.IdentityPoolName === name && pool.IdentityPoolId) ids.push(pool.IdentityPoolId);
      token = out.NextToken;
    } while (token);
    return onlyMatch(ids, `identity pools named ${name}`);
  }

  async createIdentityPool(input: { name: string; userPoolId: string; clientId: string }): Promise<string> {
    const out = await this.setupCall('CreateIdentityPool', (c) =>
      c.send(
        new CreateIdentityPoolCommand({
          IdentityPoolName: input.name,
          AllowUnauthenticatedIdentities: false,
          CognitoIdentityProviders: [{ ProviderName: this.providerName(input.userPoolId), ClientId: input.clientId, ServerSideTokenCheck: true }],
        }),
      ),
    );
    return required(out.IdentityPoolId, 'IdentityPoolId', 'CreateIdentityPool');
  }

  private logins(idToken: string): Record<string, string> {
    return { [this.providerName(this.config.cognito.userPoolId)]: idToken };
  }

  /** The identity pool knows the user pool as a provider named after the user pool's issuer host and id. */
  private providerName(userPoolId: string | undefined): string {
    return `cognito-idp.${this.config.aws.region}.amazonaws.com/${userPoolId}`;
  }

  private setupCall<T>(api: string, send: (client: CognitoIdentityClient) => Promise<T>): Promise<T> {
    return callAws(this.config, this.limiter, { service: 'cognito-identity', api }, () => send(this.client()), missingRegion);
  }

  private call<T>(api: string, send: (client: CognitoIdentityClient) => Promise<T>): Promise<T> {
    return callAws(this.config, this.limiter, { service: 'cognito-identity', api }, () => send(this.client()));
  }

  private client(): CognitoIdentityClient {
    this.sdk ??= withRetryRules(new CognitoIdentityClient(awsClientOptions(this.config)));
    return this.sdk;
  }
}
