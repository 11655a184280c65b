import type { CutoffReport } from '../../connection-cutoff/connection-cutoff.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import { deviceClientId } from '../../policy/names.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

export interface RevocationParams {
  deviceId: string;
  thingName: string;
  policyName: string;
  certificateId: string;
  /** Allows revoking the device's last certificate, leaving it unable to connect. */
  force: boolean;
}

export type RevocationState = {
  certificateArn: string;
  connections: CutoffReport;
};

/**
 * Detach from thing and policy, REVOKED (so the certificate can never be reactivated), delete it,
 * then its row. A failure stops; running the same request again finishes, every step being idempotent.
 */
export function revokeCertificateOperation(deps: DeviceOperationDeps): PersistedOperation<RevocationParams, void, RevocationState> {
  return {
    kind: 'revoke-certificate',
    onFailure: 'finish',
    steps: () => [
      {
        // Inside the operation: two revocations of a device's two certificates cannot both pass.
        name: 'checkRevocable',
        async run({ params }) {
          const certificate = await deps.devices.findCertificate(params.deviceId, params.certificateId);
          if (!certificate) throw DomainError.notFound('Certificate', { thingName: params.thingName, certificateId: params.certificateId });
          const count = await deps.devices.countCertificates(params.deviceId);
          if (count === 1 && !params.force) {
            throw DomainError.conflict(
              `Certificate ${params.certificateId} is the last certificate of ${params.thingName}; rotate first, or pass force=true to leave the device without one`,
              { thingName: params.thingName, certificateId: params.certificateId, reason: 'LAST_CERTIFICATE' },
            );
          }
          return { certificateArn: certificate.certificateArn };
        },
      },
      {
        name: 'detach',
        run: ({ params, state }) => deps.teardown.detachCertificate(params.thingName, params.policyName, recorded(state, 'certificateArn')),
      },
      {
        name: 'revoke',
        async run({ params }) {
          await deps.teardown.setNotActive(params.certificateId, 'REVOKED');
          await deps.devices.setCertificateStatus(params.certificateId, 'REVOKED');
        },
      },
      {
        // The device's connection made with this certificate goes now, not when AWS's cache expires. AWS closes by
        // client id, so a device already on its newer certificate is disconnected too and reconnects with it.
        name: 'closeConnections',
        run: async ({ params }) => ({
          connections: await deps.cutoff.close(
            [{ clientId: deviceClientId(params.thingName), cleanSession: false, certificateId: params.certificateId }],
            'revoke-certificate',
          ),
        }),
      },
      {
        name: 'deleteCertificate',
        run: ({ params }) => deps.teardown.deleteCertificate(params.certificateId),
      },
      {
        name: 'deleteRow',
        run: ({ params }) => deps.devices.deleteCertificate(params.certificateId),
      },
    ],
    result: () => undefined,
  };
}
