import { Injectable } from '@nestjs/common';
import { TokenVerifier } from '../auth/token-verifier.js';
import { PrincipalsRepository } from '../authz/principals.repository.js';
import { AppLogger } from '../common/logging/app-logger.js';
import { Entitlements } from '../entitlements/entitlements.js';
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
    entitlements: Entitlements,
    logger: AppLogger,
  ) {
    logger.setContext(AuthorizerService.name);
    this.deps = {
      verifyToken: (token) => tokens.verifyAnyToken(token),
      isUserActive: (username, sub) => this.isUserActive(username, sub),
      // The documents the user's identity holds, so authorizer apps and SigV4 apps get the same rights.
      policyFor: async (username) => (await entitlements.compile(username)).map((policy) => policy.document),
      log: (entry) => logDecision(logger, entry),
    };
  }

  authorize(request: unknown): Promise<AuthorizerResponse> {
    return authorize(request, this.deps);
  }

  async userStatus(username: string, sub?: string): Promise<{ username: string; active: boolean }> {
    return { username, active: await this.isUserActive(username, sub) };
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
