import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { userSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { orphanPoolUser } from './orphans.js';

describeFailureAtEachStep('drift-delete-cognito-user', {
  definition: (t) => t.app.get(DriftOperations).poolUser,
  steps: ['confirm', 'deletePoolUser'],
  async setup(t, n) {
    const params = await orphanPoolUser(t, n);
    return { subject: userSubject(params.username), params };
  },
  async done(t, { params }) {
    expect(t.aws.userPool.user(params.username)).toBeUndefined();
  },
});
