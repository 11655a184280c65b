import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { certificateSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { orphanCertificate, removeAll } from './orphans.js';

describeFailureAtEachStep('drift-delete-unattached-certificate', {
  definition: (t) => t.app.get(DriftOperations).unattached,
  steps: ['confirm', 'deactivate', 'deleteCertificate'],
  async setup(t) {
    const { certificateId, certificateArn } = await orphanCertificate(t);
    return { subject: certificateSubject(certificateId), params: { certificateId, certificateArn, status: 'ACTIVE' } };
  },
  async done(t, { params }) {
    expect(t.aws.iot.snapshot().certificates.filter((certificate) => certificate.certificateId === params.certificateId)).toEqual([]);
  },
  // Deleted, the certificate cannot be brought back: failing after DeleteCertificate acted, the repair took effect.
  irreversible: ['deleteCertificate'],
  cleanUp: (t, { params }) => removeAll(t, { certificateId: params.certificateId }),
});
