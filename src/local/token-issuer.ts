import { randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { TokenClaims, TokenIssuer } from './local-user-pool.js';

/** Ways to shape a token; tests use them to mint tokens that a correct verifier must refuse. */
export interface MintOptions {
  /** exp an hour in the past. */
  expired?: boolean;
  /** Lifetime from now; default 3600. */
  expiresInSeconds?: number;
  /** Overrides iss, e.g. to mint a token from the wrong pool. */
  issuer?: string;
  /** Overrides aud on ID tokens and client_id on access tokens. */
  audience?: string;
  /** Another kid than the issuer's own (see signingKeyFor). */
  kid?: string;
  /** Header alg 'none' and an empty signature. */
  unsigned?: boolean;
  /** Extra or replaced claims. */
  claims?: Record<string, unknown>;
}

export interface Jwks {
  keys: Array<JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' }>;
}

export interface SigningKeys {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/**
 * Signs Cognito-shaped RS256 JWTs (the claims Cognito puts in ID and access tokens) and publishes
 * the matching JWKS, which is served at `${issuer}/.well-known/jwks.json` so that the service's
 * normal verifier checks them.
 */
export class CognitoTokenIssuer implements TokenIssuer {
  readonly issuer: string;
  readonly clientId: string;
  readonly kid: string;
  protected readonly keys: SigningKeys;
  protected readonly clock: () => number;

  /** Hears of every token minted, so a user pool can revoke tokens it did not mint through its own sign-in (tests mint such tokens). */
  onMint?: (claims: Record<string, unknown>) => void;

  constructor(options: { issuer: string; clientId: string; keys: SigningKeys; kid?: string; clock?: () => number }) {
    this.issuer = options.issuer;
    this.clientId = options.clientId;
    this.keys = options.keys;
    this.kid = options.kid ?? `local-${randomUUID().slice(0, 8)}`;
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

  /** Low-level signing for shapes the helpers above do not cover. */
  sign(payload: Record<string, unknown>, options: Pick<MintOptions, 'kid' | 'unsigned'> = {}): string {
    return this.mint(payload, options);
  }

  /** The key behind a kid; only the issuer's own kid exists here. */
  protected signingKeyFor(kid: string): KeyObject {
    if (kid !== this.kid) throw new Error(`no signing key for kid ${kid}`);
    return this.keys.privateKey;
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
    this.onMint?.(payload);
    if (options.unsigned) return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    const kid = options.kid ?? this.kid;
    const signingInput = `${encode({ kid, alg: 'RS256' })}.${encode(payload)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), this.signingKeyFor(kid)).toString('base64url')}`;
  }
}

export function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
