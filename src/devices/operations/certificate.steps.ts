import type { IssuedCertificate } from '../../aws/iot.port.js';
import { isDomainError } from '../../common/errors/domain-error.js';
import { certificateFacts } from '../../certificates/pem.js';
import { recorded, type StepDefinition } from '../../operations/operation.types.js';
import type { NewCertificate } from '../devices.repository.js';
import { findCertificateForCsr } from './certificate-search.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

/** Where a new certificate goes: the device's thing and policy. */
export interface CertificateTarget {
  thingName: string;
  policyName: string;
  csr?: string;
}

/** What the certificate steps record: ids, and when the creation was asked for (to find it after a lost answer). */
export type CertificateState = {
  certificateRequestedAt: string;
  certificateId: string;
  certificateArn: string;
};

/** The certificate AWS issued in this process: its PEM, and the private key when AWS generated one. */
export interface CertificateEphemeral {
  issued: IssuedCertificate;
}

export function newCertificateRow(issued: IssuedCertificate): NewCertificate {
  const { certificateId, certificateArn, certificatePem } = issued;
  return {
    certificateId,
    certificateArn,
    certificatePem,
    ...certificateFacts(certificatePem),
  };
}

/**
 * Create an active certificate (from the CSR, or with keys AWS generates), attach the device
 * policy to it, attach it to the thing. Shared by registration and rotation; undone in reverse.
 *
 * The creations are not idempotent and never resent; when one fails with an unknown outcome (AWS
 * may have issued a certificate nobody received), a CSR's certificate is found by its public key
 * among those created since the recorded start and adopted, or, in the undo, retired. A generated
 * key's certificate cannot be told apart (its private key is lost with the answer): it stays
 * ACTIVE and attached to nothing, and drift lists it under unattachedCertificates.
 */
export function certificateSteps<P extends CertificateTarget>(
  deps: DeviceOperationDeps,
): Array<StepDefinition<P, CertificateState, CertificateEphemeral>> {
  return [
    {
      // Recorded before the call, so a run that never hears back (or its recovery) knows where to look.
      name: 'noteCertificateRequest',
      local: true,
      run: async () => ({ certificateRequestedAt: new Date().toISOString() }),
    },
    {
      name: 'createCertificate',
      async run({ params, state, ephemeral }) {
        const { csr } = params;
        let issued: IssuedCertificate;
        try {
          issued = csr === undefined ? await deps.iot.createKeysAndCertificate() : await deps.iot.createCertificateFromCsr(csr);
        } catch (error) {
          if (csr === undefined || !outcomeUnknown(error)) throw error;
          const found = await findCertificateForCsr(
            deps,
            { csr, policyName: params.policyName },
            new Date(recorded(state, 'certificateRequestedAt')),
          );
          if (!found) throw error;
          issued = found;
        }
        // The PEM and any private key stay in memory; only ids are recorded.
        ephemeral.issued = issued;
        return { certificateId: issued.certificateId, certificateArn: issued.certificateArn };
      },
      async undo({ params, state, ephemeral }) {
        // Issued but not yet recorded (the record write failed): the id is still in memory.
        let certificateId = state.certificateId ?? ephemeral.issued?.certificateId;
        // Asked for but never heard of (a lost answer, a process killed mid-call): a CSR's certificate can be found.
        if (!certificateId && params.csr !== undefined && state.certificateRequestedAt) {
          const found = await findCertificateForCsr(deps, { csr: params.csr, policyName: params.policyName }, new Date(state.certificateRequestedAt));
          certificateId = found?.certificateId;
        }
        if (certificateId) await deps.teardown.retireCertificate(certificateId);
      },
    },
    {
      name: 'attachPolicy',
      run: async ({ params, state }) => deps.iot.attachPolicy(params.policyName, recorded(state, 'certificateArn')),
      undo: async ({ params, state }) => deps.teardown.detachPolicy(params.policyName, recorded(state, 'certificateArn')),
    },
    {
      name: 'attachThingPrincipal',
      run: async ({ params, state }) => deps.iot.attachThingPrincipal(params.thingName, recorded(state, 'certificateArn')),
      undo: async ({ params, state }) => deps.teardown.detachFromThing(params.thingName, recorded(state, 'certificateArn')),
    },
  ];
}

/** The adapters' mark on a creation AWS may have performed although the call failed. */
function outcomeUnknown(error: unknown): boolean {
  return isDomainError(error, 'AWS_UNAVAILABLE') && error.details?.outcome === 'unknown';
}
