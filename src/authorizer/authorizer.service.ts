import { Injectable } from '@nestjs/common';
import { TokenVerifier } from '../auth/token-verifier.js';
import { PrincipalsRepository } from '../authz/principals.repository.js';
import { AppLogger } from '../common/logging/app-logger.js';
import { Entitlements } from '../entitlements/entitlements.js';
import type { PolicyDocument } from '../policy/documents.js';
import { NAME_PATTERN } from '../policy/names.js';
import { authorize, type AuthorizerDeps, type AuthorizerResponse } from './authorizer.core.js';
import { logDecision } from './authorizer-log.js';

/** The custom authorizer core wired to the service's own token verifier, database and AWS scope. */
@Injectable()
export class AuthorizerService {
  private readonly deps: AuthorizerDeps;

  constructor(
    tokens: TokenVerifier,
    private readonly principals: PrincipalsRepository,
    private readonly entitlements: Entitlements,
    logger: AppLogger,
  ) {
    logger.setContext(AuthorizerService.name);
    this.deps = {
      verifyToken: (token) => tokens.verifyAnyToken(token),
      isUserActive: (username, sub) => this.isUserActive(username, sub),
      policyFor: (username) => this.policyFor(username),
      log: (entry) => logDecision(logger, entry),
    };
  }

  authorize(request: unknown): Promise<AuthorizerResponse> {
    return authorize(request, this.deps);
  }

  /**
   * What the deployed authorizer Lambda asks on each connect and refresh: whether the user is
   * active and, if so, their documents. The Lambda cannot read the memberships, so it returns these.
   */
  async userStatus(username: string, sub?: string): Promise<{ username: string; active: boolean; policyDocuments?: PolicyDocument[] }> {
    const active = await this.isUserActive(username, sub);
    return active ? { username, active, policyDocuments: await this.policyFor(username) } : { username, active };
  }

  /** The documents the user's identity holds (own grant and sites), so authorizer apps and SigV4 apps get the same rights. */
  private async policyFor(username: string): Promise<PolicyDocument[]> {
    return (await this.entitlements.compile(username)).map((policy) => policy.document);
  }

  /**
   * Provisioned here, not disabled, and (when a sub is given) created for that Cognito user. A
   * name outside the safe set cannot be ours, so it skips the query.
   */
  async isUserActive(username: string, sub?: string): Promise<boolean> {
    if (!NAME_PATTERN.test(username)) return false;
    const user = await this.principals.findUser(username);
    return !!user && user.active && (sub === undefined || user.cognitoSub === sub);
  }
}
