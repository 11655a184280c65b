import { Inject, Injectable } from '@nestjs/common';
import { UserPoolPort, type PoolUserStanding } from '../aws/user-pool.port.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { VerifiedUser } from './token-verifier.js';

/** Lookups kept at most; the oldest go first. Admins are few, so this is a guard against token spam, not a working size. */
const MAX_ENTRIES = 1000;

interface Entry {
  checkedAt: number;
  standing: Promise<PoolUserStanding | undefined>;
}

/**
 * Whether the user behind an admin token is still an admin: enabled in Cognito, the same Cognito
 * user (`sub`), and still in ADMIN_GROUP. A token's `cognito:groups` is what was true when it was
 * issued; removing someone from the group or disabling them does not revoke tokens they hold.
 * Cognito's answer is trusted for ADMIN_RECHECK_SECONDS, so a removed admin keeps access for at
 * most that long (plus one request already past the check), at one AdminGetUser and one
 * AdminListGroupsForUser per admin per interval. A failed lookup is not remembered: the request
 * answers 503 and the next one asks again.
 */
@Injectable()
export class AdminStanding {
  private readonly entries = new Map<string, Entry>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly userPool: UserPoolPort,
  ) {}

  async assertAdmin(user: VerifiedUser): Promise<void> {
    const standing = await this.lookup(user.username);
    const group = this.config.admin.group;
    if (!standing || standing.sub !== user.sub)
      throw new DomainError('FORBIDDEN', 'The user of this token no longer exists in Cognito', { reason: 'USER_GONE' });
    if (!standing.enabled) throw new DomainError('FORBIDDEN', 'The user of this token is disabled', { reason: 'USER_DISABLED' });
    if (!standing.groups.includes(group)) {
      throw new DomainError('FORBIDDEN', `The user of this token is no longer a member of the ${group} group`, { reason: 'NOT_IN_GROUP' });
    }
  }

  private lookup(username: string): Promise<PoolUserStanding | undefined> {
    const now = Date.now();
    const known = this.entries.get(username);
    if (known && now - known.checkedAt < this.config.admin.recheckSeconds * 1000) return known.standing;
    const standing = this.userPool.standingOf(username);
    const entry: Entry = { checkedAt: now, standing };
    this.entries.delete(username);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(username, entry);
    standing.catch(() => {
      if (this.entries.get(username) === entry) this.entries.delete(username);
    });
    return standing;
  }
}
