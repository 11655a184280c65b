import type { OperationDefinition } from '../operations/operation.types.js';
import { certificateIdOf } from './device-resources.js';
import type { DeviceOperationDeps } from './device-steps.js';

export interface DeletionParams {
  deviceId: string;
  thingName: string;
  policyName: string;
}

/**
 * Everything of a device, in the order AWS enforces: detach certificates from the thing and
 * every target from the policy; set each certificate INACTIVE, then delete it; delete the
 * policy's versions and the policy; delete the thing; delete the rows last, so a deletion
 * that stops half-way still has its rows and can be run again. What is gone counts as done.
 */
export function deviceDeletion(deps: DeviceOperationDeps): OperationDefinition<DeletionParams, void> {
  return {
    kind: 'delete-device',
    onFailure: 'finish',
    steps: () => [
      {
        // The rows name the certificates; AWS may hold more (attached by hand, or by a rotation that stopped).
        name: 'detachFromThing',
        async run({ params }) {
          const device = await deps.devices.findByThingName(params.thingName);
          const known = device?.certificates.map((certificate) => certificate.certificateArn) ?? [];
          const certificateArns = [...new Set([...known, ...(await deps.resources.thingCertificates(params.thingName))])];
          for (const arn of certificateArns) await deps.resources.detachFromThing(params.thingName, arn);
          return { certificateArns };
        },
      },
      {
        // AWS refuses to delete a policy that is attached to anything, and a certificate that has a policy.
        name: 'detachPolicy',
        async run({ params, state }) {
          const targets = new Set([...certificateArnsOf(state), ...(await deps.resources.policyTargets(params.policyName))]);
          for (const target of targets) await deps.resources.detachPolicy(params.policyName, target);
        },
      },
      {
        name: 'deactivateCertificates',
        async run({ state }) {
          for (const id of certificateIdsOf(state)) await deps.resources.setNotActive(id, 'INACTIVE');
        },
      },
      {
        name: 'deleteCertificates',
        async run({ state }) {
          for (const id of certificateIdsOf(state)) await deps.resources.deleteCertificate(id);
        },
      },
      { name: 'deletePolicy', run: ({ params }) => deps.resources.deletePolicy(params.policyName) },
      { name: 'deleteThing', run: ({ params }) => deps.resources.deleteThing(params.thingName) },
      { name: 'deleteRows', run: ({ params }) => deps.devices.deleteDevice(params.deviceId) },
    ],
    result: () => undefined,
  };
}

function certificateArnsOf(state: Record<string, unknown>): string[] {
  const arns = state.certificateArns;
  return Array.isArray(arns) ? arns.filter((arn): arn is string => typeof arn === 'string') : [];
}

function certificateIdsOf(state: Record<string, unknown>): string[] {
  return certificateArnsOf(state).flatMap((arn) => certificateIdOf(arn) ?? []);
}
