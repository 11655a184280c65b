import { expect } from 'vitest';
import { userSubject } from '../../../../src/operations/subjects.js';
import { SessionOperations } from '../../../../src/sessions/operations/session-operations.js';
import { idTokenOf } from '../../../support/http/sessions.js';
import { readyUser } from '../../../support/http/users.js';
import { readRows } from '../../../support/invariants.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

describeFailureAtEachStep('link-identity', {
  definition: (t) => t.app.get(SessionOperations).linkIdentity,
  steps: ['getId', 'attachPolicy'],
  async setup(t, n) {
    const username = `link-${n}`;
    await readyUser(t, username);
    return { subject: userSubject(username), params: { username }, ephemeral: { idToken: idTokenOf(t.aws, username) } };
  },
  async done(t, { params }) {
    const user = (await readRows(t.config.database.url!)).users.find((row) => row.username === params.username)!;
    expect(user).toMatchObject({ identity_id: expect.any(String), policy_attached: true });
    expect(t.aws.iot.snapshot().policyAttachments).toContainEqual({ policyName: user.policy_name, target: user.identity_id });
  },
});
