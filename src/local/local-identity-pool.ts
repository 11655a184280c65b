import { randomBytes, randomUUID } from 'node:crypto';
import { onlyMatch } from '../aws/aws-call.js';
import { IdentityPoolPort, type AwsCredentials } from '../aws/identity-pool.port.js';
import type { DomainError } from '../common/errors/domain-error.js';
import { LocalRuntime, awsError } from './local-runtime.js';

export interface LocalIdentityPoolOptions {
  runtime?: LocalRuntime;
  region?: string;
  identityPoolId?: string;
  userPoolId?: string;
  /** GetCredentialsForIdentity's credentials live one hour on AWS. */
  credentialLifetimeSeconds?: number;
}

const IDENTITY_ID = /^[\w-]+:[0-9a-f-]+$/;

/** An identity pool created through the bootstrap calls; the pool the service uses (identityPoolId) is implicit. */
export interface IdentityPoolRecord {
  identityPoolId: string;
  name: string;
  allowUnauthenticatedIdentities: boolean;
  providers: Array<{ providerName: string; clientId: string; serverSideTokenCheck: boolean }>;
}

/**
 * A Cognito identity pool behind IdentityPoolPort. Like AWS it gives one stable identity id per
 * user (keyed on the ID token's sub) and refuses expired tokens and logins that do not belong to
 * the identity. It does not check token signatures: the service verifies those itself.
 */
export class LocalIdentityPool extends IdentityPoolPort {
  readonly runtime: LocalRuntime;
  readonly identityPoolId: string;
  private readonly region: string;
  private readonly providerName: string;
  private readonly lifetimeMs: number;
  private readonly idBySub = new Map<string, string>();
  private readonly subById = new Map<string, string>();
  private readonly pools = new Map<string, IdentityPoolRecord>();

  constructor(options: LocalIdentityPoolOptions = {}) {
    super();
    this.runtime = options.runtime ?? new LocalRuntime();
    this.region = options.region ?? 'eu-west-1';
    this.identityPoolId = options.identityPoolId ?? `${this.region}:00000000-0000-4000-8000-000000000001`;
    this.providerName = `cognito-idp.${this.region}.amazonaws.com/${options.userPoolId ?? `${this.region}_FakePool1`}`;
    this.lifetimeMs = (options.credentialLifetimeSeconds ?? 3600) * 1000;
  }

  // ---- test controls ----

  identityOf(sub: string): string | undefined {
    return this.idBySub.get(sub);
  }

  /** Identity pools created by the bootstrap calls. */
  createdPools(): IdentityPoolRecord[] {
    return [...this.pools.values()].map((pool) => structuredClone(pool));
  }

  snapshot(): Array<{ identityId: string; sub: string }> {
    return [...this.subById].map(([identityId, sub]) => ({ identityId, sub }));
  }

  // ---- IdentityPoolPort ----

  getIdentityId(idToken: string): Promise<string> {
    const api = 'GetId';
    return this.call(api, { IdentityPoolId: this.identityPoolId, Logins: this.logins(idToken) }, () => {
      const sub = this.subject(api, idToken);
      let identityId = this.idBySub.get(sub);
      if (!identityId) {
        identityId = `${this.region}:${randomUUID()}`;
        this.idBySub.set(sub, identityId);
        this.subById.set(identityId, sub);
      }
      return identityId;
    });
  }

  getCredentials(identityId: string, idToken: string): Promise<AwsCredentials> {
    const api = 'GetCredentialsForIdentity';
    return this.call(api, { IdentityId: identityId, Logins: this.logins(idToken) }, () => {
      if (!IDENTITY_ID.test(identityId)) throw this.fail(api, 'InvalidParameterException', 'Invalid IdentityId');
      const owner = this.subById.get(identityId);
      if (!owner) throw this.fail(api, 'ResourceNotFoundException', `Identity '${identityId}' not found.`);
      if (this.subject(api, idToken) !== owner) {
        throw this.fail(api, 'NotAuthorizedException', "Logins don't match. Please include at least one valid login for this identity or identity pool.");
      }
      const credentials = {
        accessKeyId: `ASIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(180).toString('base64'),
        expiration: new Date(this.runtime.clock() + this.lifetimeMs),
      };
      this.runtime.secrets.add(credentials.secretAccessKey).add(credentials.sessionToken);
      return credentials;
    });
  }

  /** AWS deletes unknown ids without complaint (its response has no not-found code), and so does the fake. */
  async deleteIdentity(identityId: string): Promise<void> {
    const api = 'DeleteIdentities';
    await this.call(api, { IdentityIdsToDelete: [identityId] }, () => {
      if (!IDENTITY_ID.test(identityId)) throw this.fail(api, 'InvalidParameterException', 'Invalid IdentityId');
      const sub = this.subById.get(identityId);
      if (sub === undefined) return;
      this.subById.delete(identityId);
      this.idBySub.delete(sub);
    });
  }

  async findIdentityPool(name: string): Promise<string | undefined> {
    const ids = await this.call('ListIdentityPools', { MaxResults: 60 }, () =>
      [...this.pools.values()].filter((pool) => pool.name === name).map((pool) => pool.identityPoolId),
    );
    return onlyMatch(ids, `identity pools named ${name}`);
  }

  createIdentityPool(input: { name: string; userPoolId: string; clientId: string }): Promise<string> {
    const provider = { providerName: `cognito-idp.${this.region}.amazonaws.com/${input.userPoolId}`, clientId: input.clientId, serverSideTokenCheck: true };
    const logged = {
      IdentityPoolName: input.name,
      AllowUnauthenticatedIdentities: false,
      CognitoIdentityProviders: [{ ProviderName: provider.providerName, ClientId: provider.clientId, ServerSideTokenCheck: true }],
    };
    return this.call('CreateIdentityPool', logged, () => {
      const identityPoolId = `${this.region}:${randomUUID()}`;
      this.pools.set(identityPoolId, { identityPoolId, name: input.name, allowUnauthenticatedIdentities: false, providers: [provider] });
      return identityPoolId;
    });
  }

  /** Reads sub from the token payload, refusing what AWS refuses before any signature check matters. */
  private subject(api: string, idToken: string): string {
    let claims: { sub?: unknown; exp?: unknown; token_use?: unknown };
    try {
      claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw this.fail(api, 'NotAuthorizedException', 'Invalid login token. Not a valid OpenId Connect identity token.');
    }
    if (typeof claims.sub !== 'string' || (claims.token_use !== undefined && claims.token_use !== 'id')) {
      throw this.fail(api, 'NotAuthorizedException', 'Invalid login token. Not a valid OpenId Connect identity token.');
    }
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= this.runtime.clock()) {
      throw this.fail(api, 'NotAuthorizedException', 'Invalid login token. Token expired.');
    }
    return claims.sub;
  }

  private logins(idToken: string): Record<string, string> {
    return { [this.providerName]: idToken };
  }

  private fail(api: string, name: string, message: string): DomainError {
    return awsError('cognito-identity', api, name, message);
  }

  private call<T>(api: string, input: Record<string, unknown>, action: () => T): Promise<T> {
    return this.runtime.invoke('cognito-identity', api, input, action);
  }
}
