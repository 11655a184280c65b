import { expect } from 'vitest';
import { siteSubject } from '../../../../src/operations/subjects.js';
import type { DeleteSiteParams } from '../../../../src/sites/operations/delete-site.operation.js';
import { SiteOperations } from '../../../../src/sites/operations/site-operations.js';
import { expectedSlots, slotsInAws } from '../../../support/entitlements.js';
import { signIn } from '../../../support/http/sessions.js';
import { member, readySite } from '../../../support/http/sites.js';
import { readyUser } from '../../../support/http/users.js';
import { readRows } from '../../../support/invariants.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';

const members = new Map<string, Array<{ username: string; identityId: string | null }>>();

describeFailureAtEachStep<DeleteSiteParams>('delete-site', {
  definition: (t) => t.app.get(SiteOperations).deleteSite,
  steps: ['markDeleting', 'deleteDevices', 'removeMembers', 'deleteRow'],
  async setup(t, n) {
    const site = `gone-${n}`;
    await readySite(t, site);
    const signedIn = `gone-${n}-a`;
    const never = `gone-${n}-b`;
    await readyUser(t, signedIn);
    await readyUser(t, never);
    const identityId = (await signIn(t, signedIn)).body.identityId as string;
    await member(t, site, signedIn, 'operator');
    await member(t, site, never, 'member');
    members.set(site, [
      { username: signedIn, identityId },
      { username: never, identityId: null },
    ]);
    const row = (await readRows(t.config.database.url!)).sites.find((candidate) => candidate.name === site)!;
    return { subject: siteSubject(site), params: { siteId: row.id, site } };
  },
  async done(t, { params }) {
    const rows = await readRows(t.config.database.url!);
    expect(rows.sites.map((site) => site.name)).not.toContain(params.site);
    for (const { username, identityId } of members.get(params.site)!) {
      const expected = expectedSlots(t.aws, 'iotp', username, []);
      expect(slotsInAws(t.aws, 'iotp', username, identityId)).toEqual({ documents: expected, attached: identityId ? Object.keys(expected) : [] });
    }
  },
});
