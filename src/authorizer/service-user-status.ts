import { AUTHORIZER_SECRET_HEADER } from './secret-header.js';

/** AWS gives a custom authorizer 5 seconds in all; leave room for token verification. */
const TIMEOUT_MS = 2000;

/**
 * The Lambda's answer to "is this user provisioned and active?": it asks the service, whose
 * database is the only record of both. Any failure throws, and the core turns that into a denial.
 */
export class ServiceUserStatus {
  constructor(
    private readonly serviceUrl: string,
    private readonly secret: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  async isActive(username: string, sub: string): Promise<boolean> {
    const url = new URL(`v1/authorizer/users/${encodeURIComponent(username)}`, this.serviceUrl.replace(/\/?$/, '/'));
    url.searchParams.set('sub', sub);
    const response = await fetch(url, {
      headers: { [AUTHORIZER_SECRET_HEADER]: this.secret, accept: 'application/json' },
      // A redirect could carry the secret elsewhere.
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`the service answered ${response.status} to the user status request`);
    const body = (await response.json()) as { active?: unknown };
    return body.active === true;
  }
}
