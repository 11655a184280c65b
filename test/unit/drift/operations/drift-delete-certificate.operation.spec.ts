import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { certificateSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { orphanCertificate, orphanNames, orphanPolicy, removeAll } from './orphans.js';

describeFailureAtEachStep('drift-delete-certificate', {
  definition: (t) => t.app.get(DriftOperations).certificate,
  steps: ['confirm', 'detach', 'deactivate', 'deleteCertificate'],
  async setup(t, n) {
    const { thingName, policyName } = orphanNames(t, n);
    const { certificateId, certificateArn } = await orphanCertificate(t);
    await t.aws.iot.createThing(thingName, {});
    await t.aws.iot.attachThingPrincipal(thingName, certificateArn);
    await orphanPolicy(t, policyName);
    await t.aws.iot.attachPolicy(policyName, certificateArn);
    return { subject: certificateSubject(certificateId), params: { certificateId, certificateArn, things: [thingName] } };
  },
  async done(t, { params }) {
    expect(t.aws.iot.snapshot().certificates.filter((certificate) => certificate.certificateId === params.certificateId)).toEqual([]);
  },
  cleanUp: (t, { params }) => removeAll(t, { thingName: params.things[0], policyName: params.things[0], certificateId: params.certificateId }),
});
