import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Passwords of the local user pool, kept as scrypt hashes with a random salt:
 * `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url). The clear text is never stored or logged.
 */

const KEY_LENGTH = 32;
const BLOCK_SIZE = 8;
const PARALLELIZATION = 1;
/** Interactive-login strength (scrypt paper: N=2^14, r=8) at 16 MiB; tests pass a small cost to stay fast. */
export const DEFAULT_SCRYPT_COST = 2 ** 14;

export function hashPasswordSync(password: string, cost = DEFAULT_SCRYPT_COST): string {
  const salt = randomBytes(16);
  return format(cost, salt, scryptSync(password, salt, KEY_LENGTH, options(cost)));
}

export function hashPassword(password: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  return derive(password, salt, cost).then((hash) => format(cost, salt, hash));
}

/** Compares in constant time; a malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || Number(r) !== BLOCK_SIZE || Number(p) !== PARALLELIZATION || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function derive(password: string, salt: Buffer, cost: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_LENGTH, options(cost), (error, key) => (error ? reject(error) : resolve(key))));
}

function options(cost: number) {
  return { N: cost, r: BLOCK_SIZE, p: PARALLELIZATION, maxmem: 256 * cost * BLOCK_SIZE };
}

function format(cost: number, salt: Buffer, hash: Buffer): string {
  return `scrypt$${cost}$${BLOCK_SIZE}$${PARALLELIZATION}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}
