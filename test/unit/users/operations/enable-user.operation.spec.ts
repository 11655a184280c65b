import { expect } from 'vitest';
import { userSubject } from '../../../../src/operations/subjects.js';
import { UserOperations } from '../../../../src/users/operations/user-operations.js';
import { readRows } from '../../../support/invariants.js';
import { admin } from '../../../support/http/admin.js';
import { readyUser } from '../../../support/http/users.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

describeFailureAtEachStep('enable-user', {
  definition: (t) => t.app.get(UserOperations).enableUser,
  steps: ['cancelPendingCutoffs', 'enablePoolUser', 'markActive'],
  async setup(t, n) {
    const username = `ena-${n}`;
    await readyUser(t, username);
    expect((await admin(t).post(`/v1/users/${username}/disable`)).status).toBe(204);
    return { subject: userSubject(username), params: { username } };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.users.find((user) => user.username === params.username)).toMatchObject({ status: 'ACTIVE' });
    expect(t.aws.userPool.user(params.username)).toMatchObject({ enabled: true });
  },
});
