import { createOrAdoptPolicy } from '../../aws/iot-policy-creation.js';
import { DomainError, isDomainError } from '../../common/errors/domain-error.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { recorded } from '../../operations/operation.types.js';
import { renderPolicy } from '../../policy/documents.js';
import { ownedDevicePolicyDocument, ownerDetails, ownerLabel, type Owner } from '../device-owner.js';
import type { DeviceRecord } from '../devices.repository.js';
import {
  certificateSteps,
  newCertificateRow,
  type CertificateEphemeral,
  type CertificateState,
  type CertificateTarget,
} from './certificate.steps.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

export interface RegistrationParams extends CertificateTarget {
  /** Chosen up front so that an undo deletes exactly the row this operation inserted. */
  deviceId: string;
  /** The user or site the device belongs to. */
  owner: Owner;
  name: string;
  /** The thing's attributes: owner (a user's) or site (a site's), device, and the caller's extra one. */
  attributes: Record<string, string>;
}

export type RegistrationState = CertificateState & {
  policyArn: string;
  thingArn: string;
  deviceId: string;
};

export interface RegistrationEphemeral extends CertificateEphemeral {
  /** AWS already held a policy or thing of this name that no device claims: not ours to undo. */
  keepPolicy: boolean;
  keepThing: boolean;
  device: DeviceRecord;
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
export function registerDeviceOperation(
  deps: DeviceOperationDeps,
): PersistedOperation<RegistrationParams, Registration, RegistrationState, RegistrationEphemeral> {
  return {
    kind: 'register-device',
    onFailure: 'undo',
    steps: () => [
      {
        // Inside the operation, so the subject lock makes the check and the final insert one decision.
        name: 'checkName',
        local: true,
        async run({ params }) {
          const { owner, name } = params;
          const { taken, devices } = await deps.devices.nameUseOfOwner(owner, name, params.thingName);
          if (taken) {
            throw DomainError.conflict(`${ownerLabel(owner)} already has a device named ${name}`, { ...ownerDetails(owner), name });
          }
          // The same limit for an admin's registration and a claim's; read under the device's lock, so two
          // registrations of different names at the same moment may overshoot it by one each.
          const limit = owner.kind === 'user' ? deps.maxDevicesPerUser : deps.maxDevicesPerSite;
          if (devices >= limit) {
            throw DomainError.conflict(`${ownerLabel(owner)} already has ${limit} devices, the most one ${owner.kind} may have`, {
              ...ownerDetails(owner),
              reason: 'DEVICE_LIMIT',
              limit,
            });
          }
        },
      },
      {
        name: 'createPolicy',
        async run({ params, ephemeral }) {
          const { owner, name, policyName } = params;
          const document = renderPolicy(ownedDevicePolicyDocument(await deps.scope.policyScope(), deps.prefix, owner, name));
          // A policy with the intended document is this operation's own, made by an attempt whose answer was lost.
          const { policyArn } = await createOrAdoptPolicy(deps.iot, policyName, document).catch(
            claimedElsewhere('policy', policyName, () => (ephemeral.keepPolicy = true)),
          );
          return { policyArn };
        },
        async undo({ params, ephemeral }) {
          if (!ephemeral.keepPolicy) await deps.teardown.deletePolicy(params.policyName);
        },
      },
      {
        name: 'createThing',
        async run({ params, ephemeral }) {
          const { thingName, attributes } = params;
          const { thingArn } = await deps.iot
            .createThing(thingName, attributes)
            .catch(claimedElsewhere('thing', thingName, () => (ephemeral.keepThing = true)));
          return { thingArn };
        },
        async undo({ params, ephemeral }) {
          if (!ephemeral.keepThing) await deps.teardown.deleteThing(params.thingName);
        },
      },
      ...certificateSteps<RegistrationParams>(deps),
      {
        name: 'insertRows',
        local: true,
        async run({ params, state, ephemeral }) {
          ephemeral.device = await deps.devices.create({
            id: params.deviceId,
            owner: params.owner,
            name: params.name,
            thingName: params.thingName,
            thingArn: recorded(state, 'thingArn'),
            policyName: params.policyName,
            attributes: params.attributes,
            certificate: newCertificateRow(recorded(ephemeral, 'issued')),
          });
          return { deviceId: params.deviceId };
        },
        undo: ({ params }) => deps.devices.deleteDevice(params.deviceId),
      },
    ],
    result: ({ ephemeral }) => ({ device: recorded(ephemeral, 'device'), privateKey: ephemeral.issued?.privateKey }),
  };
}

/**
 * A policy or thing of this name that AWS already holds with other content belongs to no
 * device row: it is drift, not ours to delete, so the undo leaves it and the caller hears why.
 */
function claimedElsewhere(kind: 'policy' | 'thing', name: string, keep: () => void) {
  return (error: unknown): never => {
    if (!isDomainError(error, 'CONFLICT')) throw error;
    keep();
    throw DomainError.conflict(`AWS IoT already has a ${kind} named ${name} that no device claims; remove it, or choose another device name`, {
      ...error.details,
      [kind === 'policy' ? 'policyName' : 'thingName']: name,
    });
  };
}
