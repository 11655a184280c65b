import { isDomainError } from '../../common/errors/domain-error.js';
import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import { siteBeingDeleted } from '../../common/errors/site-being-deleted.js';
import { userBeingDeleted } from '../../common/errors/user-being-deleted.js';
import { planEntitlements, type CompiledPolicy, type SiteGrant, type SiteRole } from '../../policy/entitlements.js';
import { entitlementPolicyName, MAX_POLICIES_PER_PRINCIPAL } from '../../policy/names.js';
import type { ChangeMembershipParams } from './change-membership.operation.js';
import type { SiteOperationDeps } from './site-operation-deps.js';

/**
 * What one membership change does in AWS, decided before anything is written. Persisted as the
 * operation's state (a type, not an interface: step outputs are JSON values), so every later step
 * and every undo, in this process or in recovery, works from the same plan.
 */
export type MembershipPlan = {
  userId: string;
  siteId: string;
  previousRole: SiteRole | null;
  role: SiteRole | null;
  /** The user's Cognito identity, once they signed in. */
  identityId: string | null;
  /**
   * Whether the user's policies are attached to that identity now (signed in, not disabled): new
   * slots are attached to it too. Otherwise the next sign-in attaches every slot.
   */
  attached: boolean;
  /** New slots: CreatePolicy (then AttachPolicy when `attached`). */
  create: Array<{ policyName: string; text: string }>;
  /** Slots whose document changes: a new default version; undone by making `previousVersionId` the default again. */
  version: Array<{ policyName: string; text: string; previousVersionId: string }>;
  /** Slots no longer needed: detached from everything, then deleted. */
  remove: string[];
  unchanged: string[];
  /** Access narrowed (removed, or operator to member): the live connection is closed so AWS's policy cache does not keep it. */
  cutoff: boolean;
};

export interface PlannedChange {
  plan: MembershipPlan;
  /** The user's documents after the change. */
  policies: CompiledPolicy[];
}

/**
 * Compiles the user's entitlements with the change and compares them with the slot policies AWS
 * holds now (GetPolicy on each slot the user's current memberships need). The fit check is here: grants that
 * need more than AWS's 10 policies per identity throw CONFLICT (POLICY_LIMIT) before anything is
 * written. Read-only, so a dry run is this and nothing else; the operation runs it under the
 * user's subject, so what it read still holds when the steps act.
 */
export async function planMembershipChange(deps: SiteOperationDeps, change: ChangeMembershipParams): Promise<PlannedChange> {
  const user = await deps.users.getByUsername(change.username);
  if (user.deletionStartedAt) throw userBeingDeleted(change.username);
  const site = await deps.sites.getByName(change.site);
  // Taking a member out of a site being deleted is what its deletion does; adding one is refused.
  if (change.role !== null && site.deletionStartedAt) throw siteBeingDeleted(change.site);

  // What AWS grants now: every row, a site being deleted too until its deletion reaches this user.
  const held = await deps.entitlements.grantsOf(change.username, true);
  const previousRole = held.find((grant) => grant.site === change.site)?.role ?? null;
  const kept = (await deps.entitlements.grantsOf(change.username)).filter((grant) => grant.site !== change.site);
  const next: SiteGrant[] = change.role === null ? kept : [...kept, { site: change.site, role: change.role }];
  const policies = await deps.entitlements.compileGrants(change.username, next);

  // The slots the user holds now are read; a slot beyond them is new (CreatePolicy recognises one a lost answer made).
  const current = await slotsInAws(deps, await heldSlots(deps, change.username, held));
  const diff = planEntitlements(new Map([...current].map(([name, held]) => [name, held.document])), policies);
  const plan: MembershipPlan = {
    userId: user.id,
    siteId: site.id,
    previousRole,
    role: change.role,
    identityId: user.identityId,
    attached: user.identityId !== null && user.policyAttachedAt !== null && user.status === 'ACTIVE',
    create: diff.create.map(({ policyName, text }) => ({ policyName, text })),
    version: diff.version.map(({ policyName, text }) => ({ policyName, text, previousVersionId: current.get(policyName)!.defaultVersionId })),
    remove: diff.remove,
    unchanged: diff.unchanged,
    cutoff: narrows(previousRole, change.role),
  };
  return { plan, policies };
}

/** The names of the slots the user's current memberships compile to; every slot name when they no longer fit (AWS is then read for all). */
async function heldSlots(deps: SiteOperationDeps, username: string, held: SiteGrant[]): Promise<string[]> {
  try {
    return (await deps.entitlements.compileGrants(username, held)).map((policy) => policy.policyName);
  } catch (error) {
    if (!(isDomainError(error, 'CONFLICT') && error.details?.reason === 'POLICY_LIMIT')) throw error;
    return Array.from({ length: MAX_POLICIES_PER_PRINCIPAL }, (_, index) => entitlementPolicyName(deps.prefix, username, index + 1));
  }
}

/** The default document and version of each named slot policy that exists (one missing is created again). */
async function slotsInAws(deps: SiteOperationDeps, names: string[]) {
  const slots = new Map<string, { document: string; defaultVersionId: string }>();
  for (const name of [...new Set(names)].sort(bySlot)) {
    const policy = await ignoreNotFound(deps.iot.getPolicy(name));
    if (policy) slots.set(name, { document: policy.document, defaultVersionId: policy.defaultVersionId });
  }
  return slots;
}

function bySlot(a: string, b: string): number {
  return slotOf(a) - slotOf(b);
}

function slotOf(name: string): number {
  const match = /\.(\d+)$/.exec(name);
  return match ? Number(match[1]) : 1;
}

function narrows(previous: SiteRole | null, next: SiteRole | null): boolean {
  if (previous === null) return false;
  return next === null || (previous === 'operator' && next === 'member');
}
