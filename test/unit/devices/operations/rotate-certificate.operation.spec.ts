import { expect } from 'vitest';
import { DeviceOperations } from '../../../../src/devices/operations/device-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { certificatesOf, deviceOf } from './device-cases.js';

describeFailureAtEachStep('rotate-certificate', {
  definition: (t) => t.app.get(DeviceOperations).rotation,
  // Without a CSR: AWS generates the keys, and the private key never leaves this process's memory.
  steps: ['noteCertificateRequest', 'createCertificate', 'attachPolicy', 'attachThingPrincipal', 'insertCertificate'],
  async setup(t, n) {
    const { thingName, deviceId, policyName } = await deviceOf(t, `rot-${n}`);
    return { subject: deviceSubject(thingName), params: { deviceId, thingName, policyName } };
  },
  async done(t, { params }) {
    expect((await certificatesOf(t, params.deviceId)).map((row) => row.status)).toEqual(['ACTIVE', 'ACTIVE']);
  },
});
