import { expect } from 'vitest';
import { DeviceOperations } from '../../../../src/devices/operations/device-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { admin } from '../../../support/http/admin.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { certificatesOf, deviceOf } from './device-cases.js';

describeFailureAtEachStep('revoke-certificate', {
  definition: (t) => t.app.get(DeviceOperations).revocation,
  steps: ['checkRevocable', 'detach', 'revoke', 'closeConnections', 'deleteCertificate', 'deleteRow'],
  async setup(t, n) {
    const { thingName, deviceId, policyName, certificateId } = await deviceOf(t, `rev-${n}`);
    // A second certificate, so the first is not the last.
    expect((await admin(t).post(`/v1/devices/${thingName}/certificates`).send({})).status).toBe(201);
    return { subject: deviceSubject(thingName), params: { deviceId, thingName, policyName, certificateId, force: false } };
  },
  async done(t, { params }) {
    const remaining = await certificatesOf(t, params.deviceId);
    expect(remaining).toHaveLength(1);
    expect(remaining[0]!.certificate_id).not.toBe(params.certificateId);
    expect(t.aws.iot.snapshot().certificates.filter((certificate) => certificate.certificateId === params.certificateId)).toEqual([]);
  },
});
