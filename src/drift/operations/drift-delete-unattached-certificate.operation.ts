import { allPages } from '../../aws/pages.js';
import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { RepairDeps } from './repair-deps.js';
import { confirm, outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface UnattachedParams {
  certificateId: string;
  certificateArn: string;
  /** As listed by the scan: what an undo restores. */
  status: string;
}

/**
 * AWS deletes only INACTIVE certificates, so a certificate that turns out to be in use elsewhere
 * (attached to a thing this service cannot list) has already been deactivated when DeleteCertificate
 * refuses; the undo sets it ACTIVE again. Checked first: no record, no device operation running
 * (one may have created it and not attached it yet), no policy attached to it.
 */
export function deleteUnattachedCertificate({
  iot,
  teardown,
  records,
}: RepairDeps): PersistedOperation<UnattachedParams, RepairOutcome, RepairState> {
  return {
    kind: 'drift-delete-unattached-certificate',
    onFailure: 'undo',
    steps: () => [
      confirm(async ({ certificateId, certificateArn }) => {
        if (await records.certificateClaim(certificateId)) return 'A certificate record now has this id';
        if (await records.deviceOperationsRunning()) return 'Device operations are running; one may be about to attach it';
        const policies = await ignoreNotFound(
          allPages((token) => iot.listAttachedPolicies(certificateArn, token)),
          [],
        );
        return policies.length > 0 ? `Policies are attached to it (${policies.join(', ')}), so something uses it` : undefined;
      }),
      whileConfirmed({
        name: 'deactivate',
        run: ({ params }) => teardown.setNotActive(params.certificateId, 'INACTIVE'),
        async undo({ params, state }) {
          if (state.confirmed === true && params.status === 'ACTIVE')
            await ignoreNotFound(iot.updateCertificateStatus(params.certificateId, 'ACTIVE'));
        },
      }),
      whileConfirmed({
        name: 'deleteCertificate',
        run: async ({ params }) => {
          await ignoreNotFound(iot.deleteCertificate(params.certificateId));
        },
      }),
    ],
    result: outcome,
  };
}
