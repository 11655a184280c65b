import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { CognitoTokenIssuer, encode, type SigningKeys } from '../../src/local/token-issuer.js';

export type { Jwks, MintOptions } from '../../src/local/token-issuer.js';

/**
 * The sandbox's token issuer with what tests add: a key pair shared by every issuer of the process,
 * a kid of its own, tokens signed by a key the JWKS does not hold, and tampered tokens. Serve jwks()
 * at `${issuer}/.well-known/jwks.json`, for example with an issuer like `http://127.0.0.1:<port>/<userPoolId>`.
 */
export class TestTokenIssuer extends CognitoTokenIssuer {
  constructor(options: { issuer: string; clientId: string; kid?: string; clock?: () => number }) {
    super({ ...options, kid: options.kid ?? `test-${randomUUID().slice(0, 8)}`, keys: sharedKeys() });
  }

  /** Same header and signature, altered payload (another sub): the signature no longer verifies. */
  tamper(token: string): string {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims.sub = randomUUID();
    return `${header}.${encode(claims)}.${signature}`;
  }

  /** A kid absent from jwks() signs with a stranger's key. */
  protected override signingKeyFor(kid: string): KeyObject {
    return kid === this.kid ? this.keys.privateKey : strangerKey();
  }
}

/**
 * RSA key generation costs ~100 ms, so issuers in one test process share a key pair; each has its
 * own kid, and verifiers select keys by kid, so one issuer's tokens still fail against another's JWKS.
 */
let signingKeys: SigningKeys | undefined;
let foreignKey: KeyObject | undefined;

function sharedKeys(): SigningKeys {
  signingKeys ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signingKeys;
}

function strangerKey(): KeyObject {
  foreignKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return foreignKey;
}
