import { expect } from 'vitest';
import { userSubject } from '../../../../src/operations/subjects.js';
import { SiteOperations } from '../../../../src/sites/operations/site-operations.js';
import type { ChangeMembershipParams } from '../../../../src/sites/operations/change-membership.operation.js';
import { expectedSlots, slotsInAws } from '../../../support/entitlements.js';
import { signIn } from '../../../support/http/sessions.js';
import { member, readySite } from '../../../support/http/sites.js';
import { readyUser } from '../../../support/http/users.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { fillingSites } from '../../../support/site-fixtures.js';
import type { TestApp } from '../../../support/test-app.js';

const STEPS = [
  'plan',
  'writeMembership',
  'createPolicies',
  'attachPolicies',
  'versionPolicies',
  'detachPolicies',
  'closeConnections',
  'deletePolicies',
];

/** A signed-in user whose first policy is full of sites; `joined` also puts them in the site that sorts first (two policies). */
async function fullUser(t: TestApp, username: string, joined: boolean) {
  await readyUser(t, username);
  const response = await signIn(t, username);
  expect(response.status).toBe(200);
  const { fill, first } = fillingSites(t.aws, username, username);
  for (const site of [...fill, first]) await readySite(t, site);
  for (const site of [...fill, ...(joined ? [first] : [])]) await member(t, site, username, 'operator');
  return { identityId: response.body.identityId as string, fill, first };
}

function expectMembership(t: TestApp, username: string, identityId: string, sites: string[]) {
  const expected = expectedSlots(
    t.aws,
    'iotp',
    username,
    sites.map((site) => ({ site, role: 'operator' })),
  );
  expect(slotsInAws(t.aws, 'iotp', username, identityId)).toEqual({ documents: expected, attached: Object.keys(expected).sort() });
}

const identities = new Map<string, { identityId: string; sites: string[] }>();

describeFailureAtEachStep<ChangeMembershipParams>('change-membership (a site that needs a second policy)', {
  definition: (t) => t.app.get(SiteOperations).changeMembership,
  steps: STEPS,
  waitOnFailure: ['deletePolicies'],
  async setup(t, n) {
    const username = `join-${n}`;
    const { identityId, fill, first } = await fullUser(t, username, false);
    identities.set(username, { identityId, sites: [...fill, first] });
    return { subject: userSubject(username), params: { username, site: first, role: 'operator' } };
  },
  async done(t, { params }) {
    const { identityId, sites } = identities.get(params.username)!;
    expectMembership(t, params.username, identityId, sites);
    expect(slotsInAws(t.aws, 'iotp', params.username, identityId).attached).toHaveLength(2);
  },
});

describeFailureAtEachStep<ChangeMembershipParams>('change-membership (a removal that frees the second policy)', {
  definition: (t) => t.app.get(SiteOperations).changeMembership,
  steps: STEPS,
  waitOnFailure: ['deletePolicies'],
  async setup(t, n) {
    const username = `leave-${n}`;
    const { identityId, fill, first } = await fullUser(t, username, true);
    identities.set(username, { identityId, sites: fill });
    return { subject: userSubject(username), params: { username, site: first, role: null } };
  },
  async done(t, { params }) {
    const { identityId, sites } = identities.get(params.username)!;
    expectMembership(t, params.username, identityId, sites);
    expect(slotsInAws(t.aws, 'iotp', params.username, identityId).attached).toEqual([`iotp_${params.username}`]);
  },
});
