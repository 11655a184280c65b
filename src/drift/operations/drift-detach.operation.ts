import { certificateIdOf } from '../../aws/iot-teardown.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { unclaimedPolicyTarget, unclaimedThingPrincipal } from '../drift-rules.js';
import type { RepairDeps } from './repair-deps.js';
import { confirm, outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface AttachmentParams {
  on: 'thing' | 'policy';
  name: string;
  target: string;
}

export function detachOrphanAttachment({ teardown, records, claims }: RepairDeps): PersistedOperation<AttachmentParams, RepairOutcome, RepairState> {
  const claimOf = async (principal: string) => {
    const certificateId = certificateIdOf(principal);
    return certificateId === undefined ? undefined : records.certificateClaim(certificateId);
  };
  return {
    kind: 'drift-detach',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ on, name, target }) => {
        const accounted = 'The records now account for this attachment';
        if (on === 'thing') return unclaimedThingPrincipal(name, target, await claimOf(target)) ? undefined : accounted;
        // A policy no record claims any more is an orphan as a whole; detaching is part of removing it.
        const policy = await claims.of(name);
        return !policy || unclaimedPolicyTarget(policy, name, target, await claimOf(target)) ? undefined : accounted;
      }),
      whileConfirmed({
        name: 'detach',
        async run({ params: { on, name, target } }) {
          if (on === 'thing') return teardown.detachFromThing(name, target);
          await teardown.detachPolicy(name, target);
          // A disabled user's policy was still on its identity: the record must stop saying it is
          // attached, or enabling the user later would skip attaching it again.
          if (!certificateIdOf(target)) await records.forgetPolicyAttachment(name, target);
        },
      }),
    ],
    result: outcome,
  };
}
