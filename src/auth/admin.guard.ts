import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AdminStanding } from './admin-standing.js';
import { bearerToken } from '../common/http/bearer-token.js';
import type { AuthenticatedRequest } from './bearer.js';
import { TokenVerifier } from './token-verifier.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Admin routes: one of ADMIN_API_KEYS in x-api-key, or a Cognito token of the admin group whose user Cognito still holds an admin. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenVerifier,
    private readonly standing: AdminStanding,
  ) {
    this.keyDigests = config.admin.apiKeys.map(digest);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey !== '') {
      if (!this.isAdminKey(apiKey)) throw new DomainError('UNAUTHENTICATED', 'The API key is not valid');
      request.caller = { kind: 'api-key' };
      return true;
    }
    const token = bearerToken(request);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'Send an admin API key (x-api-key) or a Cognito bearer token');
    const user = await this.tokens.verifyAnyToken(token);
    if (!user.groups.includes(this.config.admin.group)) {
      throw new DomainError('FORBIDDEN', `This route needs membership of the ${this.config.admin.group} group`);
    }
    // The token's groups are as old as the token: Cognito is asked whether they still hold.
    await this.standing.assertAdmin(user);
    request.caller = { kind: 'user', user };
    return true;
  }

  /** Compares against every key in constant time, so timing reveals neither a key nor which one matched. */
  private isAdminKey(candidate: string): boolean {
    const given = digest(candidate);
    let matched = false;
    for (const key of this.keyDigests) matched = timingSafeEqual(given, key) || matched;
    return matched;
  }
}
