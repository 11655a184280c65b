import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { userSubject } from '../../../../src/operations/subjects.js';
import { expectedSlots, slotsInAws } from '../../../support/entitlements.js';
import { query } from '../../../support/factories.js';
import { signIn } from '../../../support/http/sessions.js';
import { createSite, member } from '../../../support/http/sites.js';
import { readyUser } from '../../../support/http/users.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { fillingSites } from '../../../support/site-fixtures.js';
import type { TestApp } from '../../../support/test-app.js';

const sitesOf = new Map<string, string[]>();

/** The user's policies are what their sites compile to, every one on their identity. */
async function holdsTheirSites(t: TestApp, username: string): Promise<void> {
  const [row] = await query<{ identity_id: string }>(t, 'SELECT identity_id FROM users WHERE username = $1', [username]);
  const expected = expectedSlots(
    t.aws,
    'iotp',
    username,
    sitesOf.get(username)!.map((site) => ({ site, role: 'operator' as const })),
  );
  const held = slotsInAws(t.aws, 'iotp', username, row!.identity_id);
  expect(Object.keys(expected)).toEqual([`iotp_${username}`, `iotp_${username}.2`]);
  expect(held.documents).toEqual(expected);
  expect(held.attached).toEqual(Object.keys(expected));
}

describeFailureAtEachStep('drift-recreate-policy', {
  definition: (t) => t.app.get(DriftOperations).recreatePolicy,
  steps: ['confirm', 'createPolicy', 'attachPolicy'],
  async setup(t, n) {
    // A signed-in operator of enough sites for a second policy, which is then deleted behind the service's back.
    const username = `slot${n}`;
    await readyUser(t, username);
    expect((await signIn(t, username)).status).toBe(200);
    const { fill, first } = fillingSites(t.aws, username, `r${n}`);
    const sites = [...fill, first];
    for (const site of sites) expect((await createSite(t, site)).status).toBe(201);
    for (const site of sites) await member(t, site, username, 'operator');
    sitesOf.set(username, sites);
    const policyName = `iotp_${username}.2`;
    for (const { target } of t.aws.iot.snapshot().policyAttachments.filter((link) => link.policyName === policyName)) {
      await t.aws.iot.detachPolicy(policyName, target);
    }
    await t.aws.iot.deletePolicy(policyName);
    return { subject: userSubject(username), params: { username, policyName } };
  },
  done: (t, { params }) => holdsTheirSites(t, params.username),
});
