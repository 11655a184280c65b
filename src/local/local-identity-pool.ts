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
  /**
   * ServerSideTokenCheck (on in the pool `npm run bootstrap` creates): asks the user pool whether
   * an ID token was revoked by a global sign-out or the user's deletion.
   */
  isRevoked?: (claims: { sub?: unknown; jti?: unknown; iat?: unknown }) => boolean;
}

/** Credentials the pool vended, remembered until they expire so the local broker can check SigV4 signatures. */
export interface VendedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  identityId: string;
  expiration: Date;
}

/** The pool as the sandbox writes it to its state file. */
export interface IdentityPoolData {
  identities: Array<[identityId: string, sub: string]>;
  credentials: Array<Omit<VendedCredentials, 'expiration'> & { expiration: string }>;
  pools: IdentityPoolRecord[];
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
 * user (keyed on the ID token's sub), refuses expired tokens, logins that do not belong to the
 * identity and (with the server-side token check) tokens revoked by a global sign-out or a
 * deletion. It does not check token signatures: the service verifies those itself.
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
  private readonly vended = new Map<string, VendedCredentials>();
  private readonly isRevoked?: LocalIdentityPoolOptions['isRevoked'];

  constructor(options: LocalIdentityPoolOptions = {}) {
    super();
    this.runtime = options.runtime ?? new LocalRuntime();
    this.region = options.region ?? 'eu-west-1';
    this.identityPoolId = options.identityPoolId ?? `${this.region}:00000000-0000-4000-8000-000000000001`;
    this.providerName = `cognito-idp.${this.region}.amazonaws.com/${options.userPoolId ?? `${this.region}_FakePool1`}`;
    this.lifetimeMs = (options.credentialLifetimeSeconds ?? 3600) * 1000;
    this.isRevoked = options.isRevoked;
  }

  /** Unexpired credentials this pool vended, by access key id. */
  credentials(accessKeyId: string): VendedCredentials | undefined {
    const found = this.vended.get(accessKeyId);
    return found && found.expiration.getTime() > this.runtime.clock() ? { ...found } : undefined;
  }

  toData(): IdentityPoolData {
    return structuredClone({
      identities: [...this.subById],
      credentials: [...this.vended.values()].map((c) => ({ ...c, expiration: c.expiration.toISOString() })),
      pools: [...this.pools.values()],
    });
  }

  /** Replaces everything with what toData() returned earlier. */
  load(data: IdentityPoolData): void {
    const copy = structuredClone(data);
    this.idBySub.clear();
    this.subById.clear();
    this.vended.clear();
    this.pools.clear();
    for (const [identityId, sub] of copy.identities) {
      this.subById.set(identityId, sub);
      this.idBySub.set(sub, identityId);
    }
    for (const c of copy.credentials) this.vended.set(c.accessKeyId, { ...c, expiration: new Date(c.expiration) });
    for (const pool of copy.pools) this.pools.set(pool.identityPoolId, pool);
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
        throw this.fail(
          api,
          'NotAuthorizedException',
          "Logins don't match. Please include at least one valid login for this identity or identity pool.",
        );
      }
      const credentials = {
        accessKeyId: `ASIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(180).toString('base64'),
        expiration: new Date(this.runtime.clock() + this.lifetimeMs),
      };
      this.runtime.secrets.add(credentials.secretAccessKey).add(credentials.sessionToken);
      this.forgetExpiredCredentials();
      this.vended.set(credentials.accessKeyId, { ...credentials, identityId });
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
      for (const [accessKeyId, vended] of this.vended) if (vended.identityId === identityId) this.vended.delete(accessKeyId);
    });
  }

  async findIdentityPool(name: string): Promise<string | undefined> {
    const ids = await this.call('ListIdentityPools', { MaxResults: 60 }, () =>
      [...this.pools.values()].filter((pool) => pool.name === name).map((pool) => pool.identityPoolId),
    );
    return onlyMatch(ids, `identity pools named ${name}`);
  }

  createIdentityPool(input: { name: string; userPoolId: string; clientId: string }): Promise<string> {
    const provider = {
      providerName: `cognito-idp.${this.region}.amazonaws.com/${input.userPoolId}`,
      clientId: input.clientId,
      serverSideTokenCheck: true,
    };
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
    let claims: { sub?: unknown; exp?: unknown; token_use?: unknown; jti?: unknown; iat?: unknown };
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
    if (this.isRevoked?.(claims)) throw this.fail(api, 'NotAuthorizedException', 'Not Authorized');
    return claims.sub;
  }

  private forgetExpiredCredentials(): void {
    const now = this.runtime.clock();
    for (const [accessKeyId, vended] of this.vended) if (vended.expiration.getTime() <= now) this.vended.delete(accessKeyId);
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
