import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { orphanCertificate, orphanNames, orphanPolicy, removeAll } from './orphans.js';

const certificates = new Map<string, { certificateId: string; certificateArn: string }>();

describeFailureAtEachStep('drift-delete-policy', {
  definition: (t) => t.app.get(DriftOperations).policy,
  steps: ['confirm', 'detachTargets', 'deletePolicy'],
  async setup(t, n) {
    const { policyName } = orphanNames(t, n);
    await orphanPolicy(t, policyName);
    const certificate = await orphanCertificate(t);
    await t.aws.iot.attachPolicy(policyName, certificate.certificateArn);
    certificates.set(policyName, certificate);
    return { subject: deviceSubject(policyName), params: { policyName } };
  },
  async done(t, { params }) {
    expect(t.aws.iot.snapshot().policies).not.toContain(params.policyName);
    expect(t.aws.iot.snapshot().policyAttachments.filter((attachment) => attachment.policyName === params.policyName)).toEqual([]);
  },
  cleanUp: (t, { params }) => removeAll(t, { policyName: params.policyName, ...certificates.get(params.policyName) }),
});
