import type { CutoffReport } from '../../connection-cutoff/connection-cutoff.js';
import { certificateIdOf } from '../../aws/iot-teardown.js';
import { deviceClientId } from '../../policy/names.js';
import { retriedLater } from '../../common/errors/retry-later.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { DeviceOperationDeps } from './device-operation-deps.js';

export interface DeletionParams {
  deviceId: string;
  thingName: string;
  policyName: string;
}

export type DeletionState = {
  connections: CutoffReport;
  /** Every certificate the rows and AWS named when the thing was detached. */
  certificateArns: string[];
};

/**
 * Everything of a device, in the order AWS enforces: detach certificates from the thing and
 * every target from the policy; set each certificate INACTIVE, then delete it; delete the thing;
 * delete the rows, so a deletion that stops half-way still has its rows and can be run again; the
 * policy last. AWS may refuse DeletePolicy for up to five minutes after the detach: the device is
 * gone for the API by then (no access, no rows) and the step waits for recovery to finish it
 * (RetryLaterError). What is gone counts as done.
 */
export function deleteDeviceOperation(deps: DeviceOperationDeps): PersistedOperation<DeletionParams, void, DeletionState> {
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
          const certificateArns = [...new Set([...known, ...(await deps.teardown.thingCertificates(params.thingName))])];
          for (const arn of certificateArns) await deps.teardown.detachFromThing(params.thingName, arn);
          return { certificateArns };
        },
      },
      {
        // AWS refuses to delete a policy that is attached to anything, and a certificate that has a policy.
        name: 'detachPolicy',
        async run({ params, state }) {
          const targets = new Set([...(state.certificateArns ?? []), ...(await deps.teardown.policyTargets(params.policyName))]);
          for (const target of targets) await deps.teardown.detachPolicy(params.policyName, target);
        },
      },
      {
        name: 'deactivateCertificates',
        async run({ state }) {
          for (const id of certificateIdsOf(state.certificateArns)) await deps.teardown.setNotActive(id, 'INACTIVE');
        },
      },
      {
        name: 'deleteCertificates',
        async run({ state }) {
          for (const id of certificateIdsOf(state.certificateArns)) await deps.teardown.deleteCertificate(id);
        },
      },
      { name: 'deleteThing', run: ({ params }) => deps.teardown.deleteThing(params.thingName) },
      {
        // Its certificates are gone, so it cannot reconnect; the open connection would otherwise last until AWS notices.
        name: 'closeConnections',
        run: async ({ params }) => ({
          connections: await deps.cutoff.close([{ clientId: deviceClientId(params.thingName), cleanSession: true }], 'delete-device'),
        }),
      },
      { name: 'deleteRows', run: ({ params }) => deps.devices.deleteDevice(params.deviceId) },
      // After deleteRows no request can repeat the deletion: a failure here waits for recovery too.
      { name: 'deletePolicy', run: ({ params }) => retriedLater(deps.teardown.deletePolicy(params.policyName)) },
    ],
    result: () => undefined,
  };
}

function certificateIdsOf(certificateArns: string[] = []): string[] {
  return certificateArns.flatMap((arn) => certificateIdOf(arn) ?? []);
}
