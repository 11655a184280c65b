import type { Page } from '../aws/iot.port.js';

/**
 * Key-ordered pages with an opaque token naming the last key served, so callers that delete
 * items while paging (cleanup loops do) neither skip nor repeat anything.
 */
export function paginate<T>(items: T[], keyOf: (item: T) => string, token: string | undefined, pageSize: number): Page<T> {
  const after = token === undefined ? undefined : decodeToken(token);
  // One pass that keeps the pageSize + 1 smallest keys after the token: a page of a fleet-sized
  // listing costs O(items), not a sort of every item (the scale benchmark pages through 300,000).
  const smallest: Array<{ key: string; item: T }> = [];
  for (const item of items) {
    const key = keyOf(item);
    if (after !== undefined && key <= after) continue;
    if (smallest.length > pageSize && key >= smallest[pageSize]!.key) continue;
    let at = smallest.length;
    while (at > 0 && smallest[at - 1]!.key > key) at--;
    smallest.splice(at, 0, { key, item });
    if (smallest.length > pageSize + 1) smallest.pop();
  }
  const page = smallest.slice(0, pageSize).map((entry) => entry.item);
  const more = smallest.length > pageSize;
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
