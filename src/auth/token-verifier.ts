import { Inject, Injectable } from '@nestjs/common';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { JwksFetcher } from './jwks-fetcher.js';

export type TokenUse = 'id' | 'access';

/** How many verified tokens are remembered; the oldest are dropped first. */
const MAX_REMEMBERED_TOKENS = 10_000;

/** Who a verified Cognito token speaks for. */
export interface VerifiedUser {
  username: string;
  sub: string;
  groups: string[];
  tokenUse: TokenUse;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** When Cognito issued the token (`iat`), seconds since the epoch; 0 when the token says not. */
  issuedAt?: number;
}

/**
 * Verifies Cognito tokens: signature against the pool's JWKS (cached, refetched only for an
 * unknown kid), issuer, expiry, and audience / client_id / token_use per token kind.
 *
 * A token verified once is remembered by its exact text until it expires, so an app presenting
 * the same ID token again costs a map lookup instead of an RSA verification. That accepts nothing
 * the verifier would refuse: the signature and claims of those very bytes were checked, expiry is
 * checked on every use, and the JWKS keys they were checked against are cached for good anyway.
 */
@Injectable()
export class TokenVerifier {
  private verifiers?: { id: Verifier; access: Verifier };
  private readonly remembered = new Map<string, VerifiedUser>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The ID token an app presents as `Authorization: Bearer`. */
  verifyIdToken(token: string): Promise<VerifiedUser> {
    return this.verify(token, ['id']);
  }

  /** ID or access token, for admin consoles and the custom authorizer. */
  verifyAnyToken(token: string): Promise<VerifiedUser> {
    return this.verify(token, ['id', 'access']);
  }

  private async verify(token: string, accepted: TokenUse[]): Promise<VerifiedUser> {
    const known = this.remembered.get(token);
    if (known && known.expiresAt * 1000 > Date.now()) {
      if (!accepted.includes(known.tokenUse)) throw new DomainError('UNAUTHENTICATED', `Expected a Cognito ${accepted.join(' or ')} token`);
      return known;
    }
    const verifiers = this.build();
    const use = tokenUseOf(token);
    if (!use || !accepted.includes(use)) {
      throw new DomainError('UNAUTHENTICATED', `Expected a Cognito ${accepted.join(' or ')} token`);
    }
    let payload: JwtPayload;
    try {
      payload = await verifiers[use].verify(token);
    } catch {
      throw new DomainError('UNAUTHENTICATED', 'The token is invalid or expired');
    }
    const username = payload['cognito:username'] ?? payload.username;
    if (typeof payload.sub !== 'string' || typeof username !== 'string') {
      throw new DomainError('UNAUTHENTICATED', 'The token names no user');
    }
    const groups = payload['cognito:groups'];
    const user: VerifiedUser = Object.freeze({
      username,
      sub: payload.sub,
      groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [],
      tokenUse: use,
      expiresAt: payload.exp as number,
      issuedAt: typeof payload.iat === 'number' ? payload.iat : 0,
    });
    this.remember(token, user);
    return user;
  }

  private remember(token: string, user: VerifiedUser): void {
    this.remembered.delete(token);
    if (this.remembered.size >= MAX_REMEMBERED_TOKENS) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(token, user);
  }

  private build(): { id: Verifier; access: Verifier } {
    if (this.verifiers) return this.verifiers;
    const { region } = this.config.aws;
    const { userPoolId, clientId, issuer: issuerOverride, jwksUri: jwksOverride } = this.config.cognito;
    const missing = [
      !clientId && 'COGNITO_CLIENT_ID',
      !issuerOverride && !userPoolId && 'COGNITO_USER_POOL_ID',
      !issuerOverride && !region && 'AWS_REGION',
    ].filter((name): name is string => typeof name === 'string');
    if (missing.length > 0) {
      throw new DomainError('AWS_NOT_CONFIGURED', `Token verification is not configured: set ${missing.join(', ')}`, { missing });
    }
    const issuer = issuerOverride ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
    const jwksUri = jwksOverride ?? `${issuer}/.well-known/jwks.json`;
    const emulatorRegion = this.config.aws.endpointUrl ? (region ?? 'us-east-1') : undefined;
    const jwksCache = new SimpleJwksCache({ fetcher: new JwksFetcher(emulatorRegion) });
    const id = JwtVerifier.create(
      { issuer, jwksUri, audience: clientId!, customJwtCheck: ({ payload }) => requireUse(payload, 'id') },
      { jwksCache },
    );
    const access = JwtVerifier.create(
      {
        issuer,
        jwksUri,
        audience: null,
        customJwtCheck: ({ payload }) => {
          requireUse(payload, 'access');
          if (payload.client_id !== clientId) throw new Error('client_id mismatch');
        },
      },
      { jwksCache },
    );
    this.verifiers = { id: id as unknown as Verifier, access: access as unknown as Verifier };
    return this.verifiers;
  }
}

interface Verifier {
  verify(token: string): Promise<JwtPayload>;
}

function requireUse(payload: JwtPayload, use: TokenUse): void {
  if (payload.token_use !== use) throw new Error(`token_use must be ${use}`);
}

/** Reads token_use without trusting it: it only picks which verifier checks the signature. */
function tokenUseOf(token: string): TokenUse | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const use = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).token_use;
    return use === 'id' || use === 'access' ? use : undefined;
  } catch {
    return undefined;
  }
}
