import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { expectedPolicies, policySlot, type ExpectedPolicy, type PolicyClaim } from './drift-rules.js';
import { DriftRepository, type GrantedUser } from './drift.repository.js';

/**
 * Who claims a policy name now: its user or device row, or, for a user's further policy
 * (`<prefix>_<user>.<n>`), the user when their memberships compile to that many policies. Asked by
 * the scan for a page of names and by each repair under its lock.
 */
@Injectable()
export class PolicyClaims {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly records: DriftRepository,
    private readonly awsScope: AwsScope,
  ) {}

  async of(policyName: string): Promise<PolicyClaim | undefined> {
    const slot = policySlot(this.config.resourcePrefix, policyName);
    if (!slot) return this.records.policyClaim(policyName);
    const [user] = await this.records.usersWithGrants([slot.username]);
    if (!user || !(await this.needs(user, policyName))) return undefined;
    return { kind: 'user', identityId: user.identityId, status: user.status };
  }

  /** Which of these names are further policies some user needs; other names are left out. */
  async claimedSlots(policyNames: string[]): Promise<Set<string>> {
    const prefix = this.config.resourcePrefix;
    const slotted = policyNames.filter((name) => policySlot(prefix, name));
    const users = await this.records.usersWithGrants([...new Set(slotted.map((name) => policySlot(prefix, name)!.username))]);
    const byName = new Map(users.map((user) => [user.username, user]));
    const claimed = new Set<string>();
    for (const name of slotted) {
      const user = byName.get(policySlot(prefix, name)!.username);
      if (user && (await this.needs(user, name))) claimed.add(name);
    }
    return claimed;
  }

  /** The user and the further policy their memberships compile to under this name, or undefined when they need none of that name. */
  async expected(username: string, policyName: string): Promise<{ user: GrantedUser; policy: ExpectedPolicy } | undefined> {
    const [user] = await this.records.usersWithGrants([username]);
    if (!user) return undefined;
    const policy = (await this.compile(user))?.find((candidate) => candidate.policyName === policyName && candidate.slot > 1);
    return policy ? { user, policy } : undefined;
  }

  /** Memberships that cannot be compiled any more (never, unless written by hand) claim whatever the user holds: nothing of theirs is removed. */
  private async needs(user: GrantedUser, policyName: string): Promise<boolean> {
    const policies = await this.compile(user);
    return !policies || policies.some((policy) => policy.policyName === policyName);
  }

  private async compile(user: GrantedUser): Promise<ExpectedPolicy[] | undefined> {
    return expectedPolicies(await this.awsScope.policyScope(), this.config.resourcePrefix, user.username, user.sites);
  }
}
