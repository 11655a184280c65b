import { DomainError, isDomainError } from '../common/errors/domain-error.js';
import type { OperationDefinition, StepContext } from '../operations/operation.types.js';
import { devicePolicyDocument, renderPolicy } from '../policy/documents.js';
import { certificateSteps, issuedIn, newCertificateRow, recorded, type CertificateTarget, type DeviceOperationDeps } from './device-steps.js';
import type { DeviceRecord } from './devices.repository.js';

export interface RegistrationParams extends CertificateTarget {
  /** Chosen up front so that an undo deletes exactly the row this operation inserted. */
  deviceId: string;
  userId: string;
  username: string;
  name: string;
  /** The thing's attributes: owner, device and the caller's extra one. */
  attributes: Record<string, string>;
}

export interface Registration {
  device: DeviceRecord;
  /** Only without a CSR: the key AWS generated, held in memory for the one response. */
  privateKey?: string;
}

/**
 * Policy, thing, certificate, both attachments, and only then the rows: no row ever claims a
 * device that does not fully exist. On failure the done steps are undone in reverse, which is
 * the order AWS requires (detach before deactivating and deleting; thing and policy last).
 */
export function deviceRegistration(deps: DeviceOperationDeps): OperationDefinition<RegistrationParams, Registration> {
  return {
    kind: 'register-device',
    onFailure: 'undo',
    steps: () => [
      {
        // Inside the operation, so the subject lock makes the check and the final insert one decision.
        name: 'checkName',
        async run({ params }) {
          if (await deps.devices.isTaken(params.userId, params.name, params.thingName)) {
            throw DomainError.conflict(`User ${params.username} already has a device named ${params.name}`, {
              username: params.username,
              name: params.name,
            });
          }
        },
      },
      {
        name: 'createPolicy',
        async run(context) {
          const { username, name, policyName } = context.params;
          const document = renderPolicy(devicePolicyDocument(await deps.scope.policyScope(), deps.prefix, username, name));
          return deps.iot.createPolicy(policyName, document).catch(claimedElsewhere(context, 'policy', policyName));
        },
        async undo(context) {
          if (!context.ephemeral.keep_policy) await deps.resources.deletePolicy(context.params.policyName);
        },
      },
      {
        name: 'createThing',
        async run(context) {
          const { thingName, attributes } = context.params;
          const { thingArn } = await deps.iot.createThing(thingName, attributes).catch(claimedElsewhere(context, 'thing', thingName));
          return { thingArn };
        },
        async undo(context) {
          if (!context.ephemeral.keep_thing) await deps.resources.deleteThing(context.params.thingName);
        },
      },
      ...certificateSteps<RegistrationParams>(deps),
      {
        name: 'insertRows',
        async run(context) {
          const { params, state } = context;
          context.ephemeral.device = await deps.devices.create({
            id: params.deviceId,
            userId: params.userId,
            name: params.name,
            thingName: params.thingName,
            thingArn: recorded(state, 'thingArn'),
            policyName: params.policyName,
            attributes: params.attributes,
            certificate: newCertificateRow(issuedIn(context)!),
          });
          return { deviceId: params.deviceId };
        },
        undo: ({ params }) => deps.devices.deleteDevice(params.deviceId),
      },
    ],
    result: (context) => ({ device: context.ephemeral.device as DeviceRecord, privateKey: issuedIn(context)?.privateKey }),
  };
}

/**
 * A policy or thing of this name that AWS already holds (with other content) belongs to no
 * device row: it is drift, not ours to delete, so the undo leaves it and the caller hears why.
 */
function claimedElsewhere(context: StepContext<RegistrationParams>, kind: 'policy' | 'thing', name: string) {
  return (error: unknown): never => {
    if (!isDomainError(error, 'CONFLICT')) throw error;
    context.ephemeral[`keep_${kind}`] = true;
    throw DomainError.conflict(`AWS IoT already has a ${kind} named ${name} that no device claims; remove it, or choose another device name`, {
      ...error.details,
      [kind === 'policy' ? 'policyName' : 'thingName']: name,
    });
  };
}
