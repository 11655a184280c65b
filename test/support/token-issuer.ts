import { generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { TokenClaims, TokenIssuer } from '../fakes/fake-user-pool.js';

/** Ways to mint a token that a correct verifier must refuse. */
export interface MintOptions {
  /** exp an hour in the past. */
  expired?: boolean;
  /** Lifetime from now; default 3600. */
  expiresInSeconds?: number;
  /** Overrides iss, e.g. to mint a token from the wrong pool. */
  issuer?: string;
  /** Overrides aud on ID tokens and client_id on access tokens. */
  audience?: string;
  /** A kid absent from jwks(); the token is signed with a key the JWKS does not hold. */
  kid?: string;
  /** Header alg 'none' and an empty signature. */
  unsigned?: boolean;
  /** Extra or replaced claims. */
  claims?: Record<string, unknown>;
}

export interface Jwks {
  keys: Array<JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' }>;
}

/**
 * Signs Cognito-shaped RS256 JWTs for tests and publishes the matching JWKS, so verification
 * code runs for real. Serve jwks() at `${issuer}/.well-known/jwks.json`, for example with an
 * issuer like `http://127.0.0.1:<port>/<userPoolId>`.
 */
export class TestTokenIssuer implements TokenIssuer {
  readonly issuer: string;
  readonly clientId: string;
  readonly kid: string;
  private readonly keys = sharedKeys();
  private readonly clock: () => number;

  constructor(options: { issuer: string; clientId: string; kid?: string; clock?: () => number }) {
    this.issuer = options.issuer;
    this.clientId = options.clientId;
    this.kid = options.kid ?? `test-${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
  }

  idToken(claims: TokenClaims, options: MintOptions = {}): string {
    return this.mint(
      {
        ...this.common(claims, 'id', options),
        aud: options.audience ?? this.clientId,
        'cognito:username': claims.username,
        ...(claims.email ? { email: claims.email, email_verified: true } : {}),
      },
      options,
    );
  }

  /** Cognito access tokens carry client_id and `username` (not `cognito:username`), and no aud. */
  accessToken(claims: TokenClaims, options: MintOptions = {}): string {
    return this.mint(
      {
        ...this.common(claims, 'access', options),
        client_id: options.audience ?? this.clientId,
        username: claims.username,
        scope: 'aws.cognito.signin.user.admin',
      },
      options,
    );
  }

  jwks(): Jwks {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  /** Same header and signature, altered payload (another sub): the signature no longer verifies. */
  tamper(token: string): string {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims.sub = randomUUID();
    return `${header}.${encode(claims)}.${signature}`;
  }

  /** Low-level signing for shapes the helpers above do not cover. */
  sign(payload: Record<string, unknown>, options: Pick<MintOptions, 'kid' | 'unsigned'> = {}): string {
    return this.mint(payload, options);
  }

  private common(claims: TokenClaims, tokenUse: 'id' | 'access', options: MintOptions): Record<string, unknown> {
    const now = Math.floor(this.clock() / 1000);
    const lifetime = options.expired ? -3600 : (options.expiresInSeconds ?? 3600);
    return {
      sub: claims.sub,
      iss: options.issuer ?? this.issuer,
      token_use: tokenUse,
      ...(claims.groups && claims.groups.length > 0 ? { 'cognito:groups': claims.groups } : {}),
      auth_time: now,
      iat: options.expired ? now - 7200 : now,
      exp: now + lifetime,
      jti: randomUUID(),
      ...options.claims,
    };
  }

  private mint(payload: Record<string, unknown>, options: Pick<MintOptions, 'kid' | 'unsigned'>): string {
    if (options.unsigned) return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    const kid = options.kid ?? this.kid;
    const key = kid === this.kid ? this.keys.privateKey : strangerKey();
    const signingInput = `${encode({ kid, alg: 'RS256' })}.${encode(payload)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
  }
}

/**
 * RSA key generation costs ~100 ms, so issuers in one test process share a key pair; each has its
 * own kid, and verifiers select keys by kid, so one issuer's tokens still fail against another's JWKS.
 */
let signingKeys: { publicKey: KeyObject; privateKey: KeyObject } | undefined;
let foreignKey: KeyObject | undefined;

function sharedKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
  signingKeys ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signingKeys;
}

/** Signs tokens whose kid the JWKS does not list. */
function strangerKey(): KeyObject {
  foreignKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return foreignKey;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
