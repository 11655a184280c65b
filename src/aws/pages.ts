import type { Page } from './iot.port.js';

/** Every item of a paginated AWS list, page by page. */
export async function allPages<T>(list: (nextToken?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of eachPage(list)) items.push(...page);
  return items;
}

/** The pages of a paginated AWS list, one at a time: a caller that handles each page before the next holds one page at most. */
export async function* eachPage<T>(list: (nextToken?: string) => Promise<Page<T>>): AsyncGenerator<T[]> {
  let token: string | undefined;
  do {
    const page = await list(token);
    yield page.items;
    token = page.nextToken;
  } while (token);
}
