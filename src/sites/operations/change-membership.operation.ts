import type { CutoffReport } from '../../connection-cutoff/connection-cutoff.js';
import { createOrAdoptPolicy } from '../../aws/iot-policy-creation.js';
import { createDefaultVersion, restoreDefaultVersion } from '../../aws/iot-policy-versions.js';
import { retriedLater } from '../../common/errors/retry-later.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import type { CompiledPolicy, SiteRole } from '../../policy/entitlements.js';
import { planMembershipChange, type MembershipPlan } from './membership-plan.js';
import type { SiteOperationDeps } from './site-operation-deps.js';

/** The step from which a change is no longer undone (see forwardOnly). */
export const PAST_UNDO_STEP = 'deletePolicies';

export interface ChangeMembershipParams {
  username: string;
  site: string;
  /** The role to give, or null to take the user out of the site. */
  role: SiteRole | null;
}

export type ChangeMembershipState = {
  plan: MembershipPlan;
  connections: CutoffReport;
};

/** Held by this process only: the compiled documents, for the answer. */
export interface ChangeMembershipMemo {
  policies: CompiledPolicy[];
}

export interface MembershipChangeResult {
  plan: MembershipPlan;
  policies: CompiledPolicy[];
}

/**
 * One user's membership of one site, and the user's slot policies brought to what their
 * memberships now compile to. Runs under the user's subject, so it is serialised with the user's
 * other changes (other memberships, a sign-in's link, a disable, a deletion) across replicas.
 *
 * The plan comes first (the fit check: nothing is written when the memberships would need more
 * policies than AWS allows), then the row, then AWS in an order that never leaves the user with
 * less than either the old or the new grants while it runs: new slots created and attached,
 * changed slots versioned, unneeded slots detached; the connection of a member whose access
 * narrowed closed (best effort); the unneeded policies deleted last. A failure undoes it all,
 * newest first, back to the old membership, until the deletion starts: AWS may refuse DeletePolicy
 * for up to five minutes after the detach, so that step waits for recovery instead (forwardOnly).
 */
export function changeMembershipOperation(
  deps: SiteOperationDeps,
): PersistedOperation<ChangeMembershipParams, MembershipChangeResult, ChangeMembershipState, ChangeMembershipMemo> {
  const { iot, teardown, sites } = deps;
  return {
    kind: 'change-membership',
    onFailure: 'undo',
    steps: () => [
      {
        name: 'plan',
        async run({ params, ephemeral }) {
          const { plan, policies } = await planMembershipChange(deps, params);
          ephemeral.policies = policies;
          return { plan };
        },
      },
      {
        name: 'writeMembership',
        async run({ params, state }) {
          const { siteId, userId } = recorded(state, 'plan');
          if (params.role === null) await sites.removeMembership(siteId, userId);
          else await sites.setMembership(siteId, userId, params.role);
        },
        async undo({ state }) {
          if (!state.plan) return;
          const { siteId, userId, previousRole } = state.plan;
          await sites.restoreMembership(siteId, userId, previousRole);
        },
      },
      {
        name: 'createPolicies',
        async run({ state }) {
          for (const { policyName, text } of recorded(state, 'plan').create) await createOrAdoptPolicy(iot, policyName, text);
        },
        async undo({ state }) {
          // The plan found no policy of these names, and none can appear while the user is held: each is this run's.
          for (const { policyName } of state.plan?.create ?? []) await teardown.deletePolicy(policyName);
        },
      },
      {
        name: 'attachPolicies',
        async run({ state }) {
          const { create, attached, identityId } = recorded(state, 'plan');
          if (!attached || !identityId) return;
          for (const { policyName } of create) await iot.attachPolicy(policyName, identityId);
        },
        async undo({ state }) {
          const plan = state.plan;
          if (!plan?.attached || !plan.identityId) return;
          for (const { policyName } of plan.create) await teardown.detachPolicy(policyName, plan.identityId);
        },
      },
      {
        name: 'versionPolicies',
        async run({ state }) {
          for (const { policyName, text } of recorded(state, 'plan').version) await createDefaultVersion(iot, policyName, text);
        },
        async undo({ state }) {
          for (const { policyName, previousVersionId } of state.plan?.version ?? []) await restoreDefaultVersion(iot, policyName, previousVersionId);
        },
      },
      {
        // Every target AWS lists, not only the identity: the policy is deleted next and AWS refuses that while it is attached.
        name: 'detachPolicies',
        async run({ state }) {
          for (const policyName of recorded(state, 'plan').remove) await teardown.detachPolicyFromAll(policyName);
        },
        async undo({ state }) {
          const plan = state.plan;
          if (!plan?.attached || !plan.identityId) return;
          for (const policyName of plan.remove) await iot.attachPolicy(policyName, plan.identityId);
        },
      },
      {
        // With the narrower documents in place: the open connection would otherwise keep the old ones for AWS's policy-cache minutes.
        name: 'closeConnections',
        async run({ params, state }) {
          const { cutoff, identityId } = recorded(state, 'plan');
          if (!cutoff) return;
          const target = { clientId: params.username, cleanSession: false, ...(identityId ? { identityId } : {}) };
          return { connections: await deps.cutoff.close([target], 'change-membership') };
        },
      },
      {
        // Detached everywhere already: a failure here (AWS refusing for minutes after a detach) waits for recovery.
        name: PAST_UNDO_STEP,
        forwardOnly: true,
        async run({ state }) {
          for (const policyName of recorded(state, 'plan').remove) await retriedLater(teardown.deletePolicy(policyName));
        },
      },
    ],
    result: ({ state, ephemeral }) => ({ plan: recorded(state, 'plan'), policies: recorded(ephemeral, 'policies') }),
  };
}
