import type { PersistedOperation } from '../../operations/kinds.js';
import type { RepairDeps } from './repair-deps.js';
import { confirm, outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface PolicyParams {
  policyName: string;
}

export function deleteOrphanPolicy({ teardown, claims }: RepairDeps): PersistedOperation<PolicyParams, RepairOutcome, RepairState> {
  return {
    kind: 'drift-delete-policy',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ policyName }) => ((await claims.of(policyName)) ? 'A user or device record now has this policy' : undefined)),
      whileConfirmed({
        name: 'detachTargets',
        run: ({ params }) => teardown.detachPolicyFromAll(params.policyName),
      }),
      whileConfirmed({ name: 'deletePolicy', run: ({ params }) => teardown.deletePolicy(params.policyName) }),
    ],
    result: outcome,
  };
}
