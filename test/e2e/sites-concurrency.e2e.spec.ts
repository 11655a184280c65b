import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteGrant } from '../../src/policy/entitlements.js';
import { expectedSlots, slotsInAws } from '../support/entitlements.js';
import { signIn } from '../support/http/sessions.js';
import { member, readySite, removeMember, setMember } from '../support/http/sites.js';
import { readyUser } from '../support/http/users.js';
import { consistency } from '../support/invariants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Two replicas over one database and one AWS: membership changes of one user arriving at both at
 * once. Each replica queues its own; across replicas the user's operation subject lets one run at
 * a time and the other waits for it, so all of them land.
 */
describe('membership changes of one user on two replicas', () => {
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    one = await startTestApp();
    two = await startTestApp({ databaseUrl: one.config.database.url!, aws: one.aws });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });

  it('20 at once, split between them: all land, and the documents match the final membership', async () => {
    const sites = Array.from({ length: 20 }, (_, i) => `twin-${String(i).padStart(2, '0')}-${'x'.repeat(30)}`);
    for (const site of sites) await readySite(one, site);
    await readyUser(one, 'tess');
    const identityId = (await signIn(one, 'tess')).body.identityId as string;
    for (const site of sites.slice(0, 6)) await member(one, site, 'tess', 'member');

    const requests = sites.map((site, i) => {
      const app = i % 2 === 0 ? one : two;
      if (i < 3) return removeMember(app, site, 'tess');
      return setMember(app, site, 'tess', i % 3 === 0 ? 'operator' : 'member');
    });
    const responses = await Promise.all(requests);
    expect(responses.map((response) => `${response.status} ${response.body.code ?? ''}`.trim())).toEqual(sites.map(() => '200'));

    const final: SiteGrant[] = sites.slice(3).map((site, i) => ({ site, role: (i + 3) % 3 === 0 ? 'operator' : 'member' }));
    const expected = expectedSlots(one.aws, 'iotp', 'tess', final);
    expect(slotsInAws(one.aws, 'iotp', 'tess', identityId)).toEqual({ documents: expected, attached: Object.keys(expected).sort() });
    expect(await consistency(one.aws, one.config.database.url!)).toEqual([]);
  });
});

describe("a burst of one user's changes against a slow AWS", () => {
  let t: TestApp;

  beforeAll(async () => {
    // A budget that a few changes in a row exceed, but one change does not.
    t = await startTestApp({ env: { AWS_OPERATION_TIMEOUT_MS: '3000' } });
  });
  afterAll(async () => t?.close());

  it('gives each change its AWS budget when its turn comes, not from when it queued', async () => {
    const sites = Array.from({ length: 12 }, (_, i) => `slow-${String(i).padStart(2, '0')}`);
    for (const site of sites) await readySite(t, site);
    await readyUser(t, 'sly');
    const identityId = (await signIn(t, 'sly')).body.identityId as string;
    t.aws.latencyMs = 100;
    try {
      const responses = await Promise.all(sites.map((site) => setMember(t, site, 'sly', 'member')));
      expect(responses.map((response) => `${response.status} ${response.body.code ?? ''}`.trim())).toEqual(sites.map(() => '200'));
    } finally {
      t.aws.latencyMs = 0;
    }
    const expected = expectedSlots(
      t.aws,
      'iotp',
      'sly',
      sites.map((site) => ({ site, role: 'member' })),
    );
    expect(slotsInAws(t.aws, 'iotp', 'sly', identityId)).toEqual({ documents: expected, attached: Object.keys(expected).sort() });
  });
});
