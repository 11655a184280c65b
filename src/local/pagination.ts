import type { Page } from '../aws/iot.port.js';

/**
 * Key-ordered pages with an opaque token naming the last key served, so callers that delete
 * items while paging (cleanup loops do) neither skip nor repeat anything.
 */
export function paginate<T>(items: T[], keyOf: (item: T) => string, token: string | undefined, pageSize: number): Page<T> {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const after = token === undefined ? undefined : decodeToken(token);
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, pageSize);
  const more = rest.length > pageSize;
  return more ? { items: page, nextToken: encodeToken(keyOf(page[page.length - 1]!)) } : { items: page };
}

export class InvalidTokenError extends Error {}

function encodeToken(key: string): string {
  return Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith('k:')) throw new InvalidTokenError('invalid pagination token');
  return decoded.slice(2);
}
