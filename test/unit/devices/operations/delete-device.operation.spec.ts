import { DeviceOperations } from '../../../../src/devices/operations/device-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { deviceOf, expectNoDevice } from './device-cases.js';

describeFailureAtEachStep('delete-device', {
  definition: (t) => t.app.get(DeviceOperations).deletion,
  steps: [
    'detachFromThing',
    'detachPolicy',
    'deactivateCertificates',
    'deleteCertificates',
    'deleteThing',
    'closeConnections',
    'deleteRows',
    'deletePolicy',
  ],
  waitOnFailure: ['deletePolicy'],
  async setup(t, n) {
    const { thingName, deviceId, policyName } = await deviceOf(t, `deldev-${n}`);
    return { subject: deviceSubject(thingName), params: { deviceId, thingName, policyName } };
  },
  done: (t, { params }) => expectNoDevice(t, params.thingName),
});
