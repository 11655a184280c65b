import type { IssuedCertificate } from '../../aws/iot.port.js';
import { certificateKeyFingerprint, certificateNotAfter } from '../../certificates/pem.js';
import { recorded, type StepDefinition } from '../../operations/operation.types.js';
import type { NewCertificate } from '../devices.repository.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

/** Where a new certificate goes: the device's thing and policy. */
export interface CertificateTarget {
  thingName: string;
  policyName: string;
  csr?: string;
}

/** What the certificate steps record: ids only. */
export type CertificateState = {
  certificateId: string;
  certificateArn: string;
};

/** The certificate AWS issued in this process: its PEM, and the private key when AWS generated one. */
export interface CertificateEphemeral {
  issued: IssuedCertificate;
}

export function newCertificateRow(issued: IssuedCertificate): NewCertificate {
  const { certificateId, certificateArn, certificatePem } = issued;
  return { certificateId, certificateArn, certificatePem, notAfter: certificateNotAfter(certificatePem), publicKeySha256: certificateKeyFingerprint(certificatePem) };
}

/**
 * Create an active certificate (from the CSR, or with keys AWS generates), attach the device
 * policy to it, attach it to the thing. Shared by registration and rotation; undone in reverse.
 */
export function certificateSteps<P extends CertificateTarget>(deps: DeviceOperationDeps): Array<StepDefinition<P, CertificateState, CertificateEphemeral>> {
  return [
    {
      name: 'createCertificate',
      async run(context) {
        const { csr } = context.params;
        const issued = csr === undefined ? await deps.iot.createKeysAndCertificate() : await deps.iot.createCertificateFromCsr(csr);
        // The PEM and any private key stay in memory; only ids are recorded.
        context.ephemeral.issued = issued;
        return { certificateId: issued.certificateId, certificateArn: issued.certificateArn };
      },
      async undo({ state, ephemeral }) {
        // Issued but not yet recorded (the record write failed): the id is still in memory.
        const certificateId = state.certificateId ?? ephemeral.issued?.certificateId;
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
