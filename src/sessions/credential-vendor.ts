import { Injectable } from '@nestjs/common';
import { IdentityPoolPort } from '../aws/identity-pool.port.js';
import type { VendedCredentials } from '../credential-cache/credential-cache.js';
import type { SessionUser } from '../users/users.repository.js';
import { IdentityLinker } from './identity-linker.js';

/**
 * Temporary AWS credentials for a user's Cognito identity. For a user whose identity is linked
 * and policy attached this is one call, GetCredentialsForIdentity; the first use links it first.
 * Small on purpose, so a cache can wrap `vend`.
 */
@Injectable()
export class CredentialVendor {
  constructor(
    private readonly identityPool: IdentityPoolPort,
    private readonly linker: IdentityLinker,
  ) {}

  /** `user` is the active row of the user the ID token belongs to (see usableUser). */
  async vend(user: SessionUser, idToken: string): Promise<VendedCredentials> {
    const identityId = user.identityId && user.policyAttachedAt ? user.identityId : await this.linker.link(user.username, idToken);
    return { identityId, credentials: await this.identityPool.getCredentials(identityId, idToken) };
  }
}
