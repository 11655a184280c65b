import type { Page } from './iot.port.js';

/** Every item of a paginated AWS list, page by page. */
export async function allPages<T>(list: (nextToken?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await list(token);
    items.push(...page.items);
    token = page.nextToken;
  } while (token);
  return items;
}
