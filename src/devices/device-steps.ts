import type { AwsScope } from '../aws/aws-scope.service.js';
import type { IotPort, IssuedCertificate } from '../aws/iot.port.js';
import { certificateNotAfter } from '../certificates/pem.js';
import type { StepContext, StepDefinition, StepOutput } from '../operations/operation.types.js';
import type { DeviceResources } from './device-resources.js';
import type { DevicesRepository, NewCertificate } from './devices.repository.js';

/** What the device operations (registration, rotation, revocation, deletion) work with. */
export interface DeviceOperationDeps {
  iot: IotPort;
  resources: DeviceResources;
  devices: DevicesRepository;
  scope: AwsScope;
  prefix: string;
}

/** Where a new certificate goes: the device's thing and policy. */
export interface CertificateTarget {
  thingName: string;
  policyName: string;
  csr?: string;
}

/** A string a done step recorded; its absence is a bug in the step order, not a user error. */
export function recorded(state: StepOutput, key: string): string {
  const value = state[key];
  if (typeof value !== 'string') throw new Error(`no ${key} recorded by an earlier step`);
  return value;
}

/** The certificate AWS issued in this process: its PEM, and the private key when AWS generated one. */
export function issuedIn(context: StepContext<unknown>): IssuedCertificate | undefined {
  return context.ephemeral.issued as IssuedCertificate | undefined;
}

export function newCertificateRow(issued: IssuedCertificate): NewCertificate {
  const { certificateId, certificateArn, certificatePem } = issued;
  return { certificateId, certificateArn, certificatePem, notAfter: certificateNotAfter(certificatePem) };
}

/**
 * Create an active certificate (from the CSR, or with keys AWS generates), attach the device
 * policy to it, attach it to the thing. Shared by registration and rotation; undone in reverse.
 */
export function certificateSteps<P extends CertificateTarget>(deps: DeviceOperationDeps): Array<StepDefinition<P>> {
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
      async undo(context) {
        // Issued but not yet recorded (the record write failed): the id is still in memory.
        const certificateId = (context.state.certificateId as string | undefined) ?? issuedIn(context)?.certificateId;
        if (certificateId) await deps.resources.retireCertificate(certificateId);
      },
    },
    {
      name: 'attachPolicy',
      run: async ({ params, state }) => deps.iot.attachPolicy(params.policyName, recorded(state, 'certificateArn')),
      undo: async ({ params, state }) => deps.resources.detachPolicy(params.policyName, recorded(state, 'certificateArn')),
    },
    {
      name: 'attachThingPrincipal',
      run: async ({ params, state }) => deps.iot.attachThingPrincipal(params.thingName, recorded(state, 'certificateArn')),
      undo: async ({ params, state }) => deps.resources.detachFromThing(params.thingName, recorded(state, 'certificateArn')),
    },
  ];
}
