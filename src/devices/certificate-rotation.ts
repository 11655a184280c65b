import type { OperationDefinition } from '../operations/operation.types.js';
import { certificateSteps, issuedIn, newCertificateRow, type CertificateTarget, type DeviceOperationDeps } from './device-steps.js';
import type { CertificateRecord } from './devices.repository.js';

export interface RotationParams extends CertificateTarget {
  deviceId: string;
}

export interface Rotation {
  certificate: CertificateRecord;
  privateKey?: string;
}

/**
 * A second certificate on the same thing and policy. The old one stays attached and ACTIVE until
 * it is revoked, so the device can switch over without a gap.
 */
export function certificateRotation(deps: DeviceOperationDeps): OperationDefinition<RotationParams, Rotation> {
  return {
    kind: 'rotate-certificate',
    onFailure: 'undo',
    steps: () => [
      ...certificateSteps<RotationParams>(deps),
      {
        name: 'insertCertificate',
        async run(context) {
          const row = newCertificateRow(issuedIn(context)!);
          context.ephemeral.certificate = await deps.devices.addCertificate(context.params.deviceId, row);
        },
        async undo(context) {
          const certificateId = (context.state.certificateId as string | undefined) ?? issuedIn(context)?.certificateId;
          if (certificateId) await deps.devices.deleteCertificate(certificateId);
        },
      },
    ],
    result: (context) => ({ certificate: context.ephemeral.certificate as CertificateRecord, privateKey: issuedIn(context)?.privateKey }),
  };
}
