import { expect } from 'vitest';
import { userSubject } from '../../../../src/operations/subjects.js';
import { UserOperations } from '../../../../src/users/operations/user-operations.js';
import { readRows } from '../../../support/invariants.js';
import { signIn } from '../../../support/http/sessions.js';
import { readyUser } from '../../../support/http/users.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

describeFailureAtEachStep('disable-user', {
  definition: (t) => t.app.get(UserOperations).disableUser,
  steps: ['markDisabled', 'detachPolicy', 'disablePoolUser', 'signOutEverywhere', 'closeConnections'],
  async setup(t, n) {
    const username = `dis-${n}`;
    await readyUser(t, username);
    // Signed in once: the identity is linked and the policy attached, so there is something to detach.
    expect((await signIn(t, username)).status).toBe(200);
    return { subject: userSubject(username), params: { username } };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.users.find((user) => user.username === params.username)).toMatchObject({ status: 'DISABLED', policy_attached: false });
    expect(t.aws.userPool.user(params.username)).toMatchObject({ enabled: false });
    expect(t.aws.iot.snapshot().policyAttachments.filter((attachment) => attachment.policyName.endsWith(`_${params.username}`))).toEqual([]);
  },
});
