import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import type { CertificateRecord } from '../devices.repository.js';
import {
  certificateSteps,
  newCertificateRow,
  type CertificateEphemeral,
  type CertificateState,
  type CertificateTarget,
} from './certificate.steps.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

export interface RotationParams extends CertificateTarget {
  deviceId: string;
}

export interface RotationEphemeral extends CertificateEphemeral {
  certificate: CertificateRecord;
}

export interface Rotation {
  certificate: CertificateRecord;
  privateKey?: string;
}

/**
 * A second certificate on the same thing and policy. The old one stays attached and ACTIVE until
 * it is revoked, so the device can switch over without a gap.
 */
export function rotateCertificateOperation(
  deps: DeviceOperationDeps,
): PersistedOperation<RotationParams, Rotation, CertificateState, RotationEphemeral> {
  return {
    kind: 'rotate-certificate',
    onFailure: 'undo',
    steps: () => [
      ...certificateSteps<RotationParams>(deps),
      {
        name: 'insertCertificate',
        async run({ params, ephemeral }) {
          ephemeral.certificate = await deps.devices.addCertificate(params.deviceId, newCertificateRow(recorded(ephemeral, 'issued')));
        },
        async undo({ state, ephemeral }) {
          const certificateId = state.certificateId ?? ephemeral.issued?.certificateId;
          if (certificateId) await deps.devices.deleteCertificate(certificateId);
        },
      },
    ],
    result: ({ ephemeral }) => ({ certificate: recorded(ephemeral, 'certificate'), privateKey: ephemeral.issued?.privateKey }),
  };
}
