import { allPages } from '../../aws/pages.js';
import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { RepairDeps } from './repair-deps.js';
import { confirm, outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface CertificateParams {
  certificateId: string;
  certificateArn: string;
  things: string[];
}

export function deleteOrphanCertificate({ iot, teardown, records }: RepairDeps): PersistedOperation<CertificateParams, RepairOutcome, RepairState> {
  return {
    kind: 'drift-delete-certificate',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ certificateId }) => ((await records.certificateClaim(certificateId)) ? 'A certificate record now has this id' : undefined)),
      whileConfirmed({
        // Every policy on it, ours or not: AWS refuses to delete a certificate that still has one.
        name: 'detach',
        async run({ params: { certificateArn, things } }) {
          for (const thingName of things) await teardown.detachFromThing(thingName, certificateArn);
          const policies = await ignoreNotFound(
            allPages((token) => iot.listAttachedPolicies(certificateArn, token)),
            [],
          );
          for (const policyName of policies) await teardown.detachPolicy(policyName, certificateArn);
        },
      }),
      whileConfirmed({ name: 'deactivate', run: ({ params }) => teardown.setNotActive(params.certificateId, 'INACTIVE') }),
      whileConfirmed({ name: 'deleteCertificate', run: ({ params }) => teardown.deleteCertificate(params.certificateId) }),
    ],
    result: outcome,
  };
}
