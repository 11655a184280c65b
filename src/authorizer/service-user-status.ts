import type { PolicyDocument } from '../policy/documents.js';
import { AUTHORIZER_SECRET_HEADER } from './secret-header.js';

/** AWS gives a custom authorizer 5 seconds in all; leave room for token verification. */
const TIMEOUT_MS = 2000;

/** The service's answer about one user: an active user comes with the documents to return. */
export type UserStatus = { active: false } | { active: true; policyDocuments: PolicyDocument[] };

/**
 * The Lambda's answer to "is this user provisioned and active, and what may they do?": it asks the
 * service, whose database is the only record of who is provisioned, who is disabled and who belongs
 * to which sites. Any failure throws, and the core turns that into a denial; so does an active user
 * without documents (a service older than the Lambda), rather than guessing them without the sites.
 */
export class ServiceUserStatus {
  constructor(
    private readonly serviceUrl: string,
    private readonly secret: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  async statusOf(username: string, sub: string): Promise<UserStatus> {
    const url = new URL(`v1/authorizer/users/${encodeURIComponent(username)}`, this.serviceUrl.replace(/\/?$/, '/'));
    url.searchParams.set('sub', sub);
    const response = await fetch(url, {
      headers: { [AUTHORIZER_SECRET_HEADER]: this.secret, accept: 'application/json' },
      // A redirect could carry the secret elsewhere.
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`the service answered ${response.status} to the user status request`);
    const body = (await response.json()) as { active?: unknown; policyDocuments?: unknown };
    if (body.active !== true) return { active: false };
    const documents = body.policyDocuments;
    if (!Array.isArray(documents) || !documents.every((doc) => typeof doc === 'object' && doc !== null && !Array.isArray(doc))) {
      throw new Error('the service answered an active user without policy documents');
    }
    // The core validates each document before returning it to AWS.
    return { active: true, policyDocuments: documents as PolicyDocument[] };
  }
}
