import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { userSubject } from '../../../../src/operations/subjects.js';
import { userPolicyName } from '../../../../src/policy/names.js';
import { UserOperations } from '../../../../src/users/operations/user-operations.js';
import { readRows } from '../../../support/invariants.js';
import { PASSWORD } from '../../../support/http/users.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

describeFailureAtEachStep('create-user', {
  definition: (t) => t.app.get(UserOperations).createUser,
  steps: ['checkPoolUser', 'createPoolUser', 'createPolicy', 'createRow'],
  async setup(t, n) {
    const username = `new-${n}`;
    return {
      subject: userSubject(username),
      params: { userId: randomUUID(), username, sendInvite: false, policyName: userPolicyName(t.config.resourcePrefix, username) },
      ephemeral: { temporaryPassword: PASSWORD },
    };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.users.find((user) => user.username === params.username)).toMatchObject({ id: params.userId, status: 'ACTIVE' });
    expect(t.aws.userPool.user(params.username)).toBeDefined();
  },
});
