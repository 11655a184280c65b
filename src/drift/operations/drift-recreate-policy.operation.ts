import { createOrAdoptPolicy } from '../../aws/iot-policy-creation.js';
import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import { sameDocument } from '../../policy/entitlements.js';
import type { RepairDeps } from './repair-deps.js';
import { outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface RecreatePolicyParams {
  username: string;
  policyName: string;
}

export type RecreatePolicyState = RepairState & {
  /** The document the user's memberships compile to for this slot, as read under the lock. */
  document: string;
  /** The identity to attach it to: set only when the user is active and their record says their policies are attached. */
  identityId: string | null;
};

/**
 * A further policy a user's sites need that AWS lacks (deleted by hand, say): created again with the
 * document their memberships compile to, and attached to their identity when the record says their
 * policies are (otherwise the next sign-in attaches every one). Runs under the user's subject, so no
 * membership change of theirs interleaves; the first step asks again under it.
 */
export function recreateUserPolicy({ iot, claims }: RepairDeps): PersistedOperation<RecreatePolicyParams, RepairOutcome, RecreatePolicyState> {
  return {
    kind: 'drift-recreate-policy',
    onFailure: 'finish',
    steps: () => [
      {
        name: 'confirm',
        async run({ params: { username, policyName } }) {
          const found = await claims.expected(username, policyName);
          if (!found) return { confirmed: false, note: "The user's sites no longer need this policy" };
          const { user, policy } = found;
          // Held with this document: an earlier run of this repair made it (its answer lost, or the process stopped), and it goes on.
          const held = await ignoreNotFound(iot.getPolicy(policyName));
          if (held && !sameDocument(held.document, policy.text)) {
            return { confirmed: false, note: 'AWS has this policy again, with another document: a changed policy, not a missing one' };
          }
          const attach = user.status === 'ACTIVE' && user.policyAttached && user.identityId !== null;
          return { confirmed: true, document: policy.text, identityId: attach ? user.identityId : null };
        },
      },
      whileConfirmed({
        name: 'createPolicy',
        run: async ({ params, state }) => void (await createOrAdoptPolicy(iot, params.policyName, recorded(state, 'document'))),
      }),
      whileConfirmed({
        name: 'attachPolicy',
        async run({ params, state }) {
          if (state.identityId) await iot.attachPolicy(params.policyName, state.identityId);
        },
      }),
    ],
    result: outcome,
  };
}
