import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import type { SiteGrant } from '../../src/policy/entitlements.js';
import { admin } from '../support/http/admin.js';
import { registeredSiteDevice } from '../support/http/devices.js';
import { signIn } from '../support/http/sessions.js';
import { createSite, entitlementsOf, member, readySite, removeMember, setMember } from '../support/http/sites.js';
import { readyUser } from '../support/http/users.js';
import { expectedSlots, slotsInAws } from '../support/entitlements.js';
import { consistency } from '../support/invariants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
const PREFIX = 'iotp';

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

async function signedIn(username: string): Promise<string> {
  await readyUser(t, username);
  const response = await signIn(t, username);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.identityId as string;
}

/** The user's slot policies in AWS and what their identity holds match what `sites` compile to. */
function expectHolds(username: string, identityId: string | null, sites: SiteGrant[], attached = identityId !== null) {
  const expected = expectedSlots(t.aws, PREFIX, username, sites);
  const held = slotsInAws(t.aws, PREFIX, username, identityId);
  expect(held.documents).toEqual(expected);
  expect(held.attached).toEqual(attached ? Object.keys(expected).sort() : []);
}

describe('sites', () => {
  it('are created, read, listed in pages and deleted; names follow the username rules', async () => {
    const created = await createSite(t, 'crud-a');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'crud-a',
      topicPrefix: '_sites/crud-a/',
      commandsPrefix: '_sites/crud-a/_cmd/',
      memberCount: 0,
      deviceCount: 0,
      deletionStartedAt: null,
    });
    expect((await createSite(t, 'crud-a')).status).toBe(409);
    expect((await createSite(t, 'Crud_A')).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    await readySite(t, 'crud-b');

    expect((await admin(t).get('/v1/sites/crud-a')).body).toMatchObject({ name: 'crud-a', memberCount: 0 });
    expect((await admin(t).get('/v1/sites/crud-x')).status).toBe(404);
    expect((await admin(t).get('/v1/sites/NOPE')).status).toBe(400);
    const first = await admin(t).get('/v1/sites?limit=1');
    expect(first.body.items.map((site: { name: string }) => site.name)).toEqual(['crud-a']);
    const second = await admin(t).get(`/v1/sites?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((site: { name: string }) => site.name)).toEqual(['crud-b']);

    expect((await admin(t).delete('/v1/sites/crud-a')).status).toBe(204);
    expect((await admin(t).get('/v1/sites/crud-a')).status).toBe(404);
    expect((await admin(t).delete('/v1/sites/crud-a')).status).toBe(404);
    expect((await t.http.get('/v1/sites')).status).toBe(401);
  });
});

describe('membership', () => {
  it("adds a signed-in user: the site joins their policy's default version, attached as before; a role change and a removal follow", async () => {
    await readySite(t, 'dock');
    const identityId = await signedIn('mia');
    const before = t.aws.iot.policyVersions('iotp_mia').length;

    const added = await setMember(t, 'dock', 'mia', 'member');
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body).toMatchObject({
      site: 'dock',
      username: 'mia',
      role: 'member',
      previousRole: null,
      dryRun: false,
      changes: { create: [], attach: [], version: ['iotp_mia'], detach: [], delete: [], unchanged: [] },
      closesConnection: false,
    });
    expect(added.body.policies).toMatchObject([{ slot: 1, policyName: 'iotp_mia', sites: ['dock'] }]);
    expect(t.aws.iot.policyVersions('iotp_mia')).toHaveLength(before + 1);
    expectHolds('mia', identityId, [{ site: 'dock', role: 'member' }]);

    const promoted = await setMember(t, 'dock', 'mia', 'operator');
    expect(promoted.body).toMatchObject({ role: 'operator', previousRole: 'member', closesConnection: false });
    expectHolds('mia', identityId, [{ site: 'dock', role: 'operator' }]);
    // The same PUT again changes nothing in AWS.
    const calls = t.aws.countCalls('CreatePolicyVersion');
    expect((await setMember(t, 'dock', 'mia', 'operator')).body.changes).toMatchObject({ version: [], unchanged: ['iotp_mia'] });
    expect(t.aws.countCalls('CreatePolicyVersion')).toBe(calls);

    const members = await admin(t).get('/v1/sites/dock/members');
    expect(members.body).toMatchObject({ items: [{ username: 'mia', role: 'operator' }], nextCursor: null });

    const demoted = await setMember(t, 'dock', 'mia', 'member');
    expect(demoted.body).toMatchObject({ previousRole: 'operator', closesConnection: true });
    const removed = await removeMember(t, 'dock', 'mia');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ role: null, previousRole: 'member', closesConnection: true, policies: [{ slot: 1, sites: [] }] });
    expectHolds('mia', identityId, []);
    expect((await removeMember(t, 'dock', 'mia')).status).toBe(404);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });

  it('refuses unknown users, sites and roles, and names outside the safe set', async () => {
    await readySite(t, 'refusals');
    await readyUser(t, 'rhea');
    expect((await setMember(t, 'nowhere', 'rhea', 'member')).status).toBe(404);
    expect((await setMember(t, 'refusals', 'nobody', 'member')).status).toBe(404);
    expect((await admin(t).put('/v1/sites/refusals/members/rhea').send({ role: 'owner' })).status).toBe(400);
    expect((await admin(t).put('/v1/sites/refusals/members/Rhea').send({ role: 'member' })).status).toBe(400);
    expect((await removeMember(t, 'refusals', 'rhea')).status).toBe(404);
  });

  it('gives a user who never signed in their slot policies unattached; the first sign-in attaches every slot', async () => {
    const sites = await manySites('first', 14);
    await readyUser(t, 'fern');
    for (const site of sites) await member(t, site, 'fern', 'operator');
    const grants = sites.map((site) => ({ site, role: 'operator' as const }));
    const expected = expectedSlots(t.aws, PREFIX, 'fern', grants);
    expect(Object.keys(expected).length).toBeGreaterThan(1);
    expectHolds('fern', null, grants);

    const response = await signIn(t, 'fern');
    expect(response.status).toBe(200);
    expectHolds('fern', response.body.identityId, grants);
    expect((await admin(t).get('/v1/users/fern')).body).toMatchObject({ policyAttached: true });
  });

  it("creates and attaches a further slot when the user's policy is full, and detaches and deletes it when it is no longer needed", async () => {
    const sites = await manySites('slots', 14);
    const identityId = await signedIn('sol');
    let created: string[] = [];
    for (const site of sites) {
      const response = await setMember(t, site, 'sol', 'operator');
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      created = [...created, ...response.body.changes.create];
      expect(response.body.changes.attach).toEqual(response.body.changes.create);
    }
    expect(created).toContain('iotp_sol.2');
    const grants = sites.map((site) => ({ site, role: 'operator' as const }));
    expectHolds('sol', identityId, grants);

    const removed: string[] = [];
    for (const site of sites) {
      const response = await removeMember(t, site, 'sol');
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.changes.detach).toEqual(response.body.changes.delete);
      removed.push(...response.body.changes.delete);
    }
    expect(removed.sort()).toEqual(created.sort());
    expectHolds('sol', identityId, []);
    // Every change of slot 1 was a new default version, and AWS's five were never exceeded.
    expect(t.aws.iot.policyVersions('iotp_sol').length).toBeLessThanOrEqual(5);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });

  it('answers 409 POLICY_LIMIT naming the limit when the memberships cannot fit, and changes nothing', async () => {
    const sites = await manySites('full', 70, 48);
    const identityId = await signedIn('max');
    const grants: SiteGrant[] = [];
    let refused;
    for (const site of sites) {
      const response = await setMember(t, site, 'max', 'operator');
      if (response.status !== 200) {
        refused = { site, response };
        break;
      }
      grants.push({ site, role: 'operator' });
    }
    expect(refused, 'the sites should overflow ten policies').toBeDefined();
    expect(refused!.response.status).toBe(409);
    expect(refused!.response.body).toMatchObject({
      code: 'CONFLICT',
      details: {
        reason: 'POLICY_LIMIT',
        limit: 'policies per principal',
        maxPolicies: 10,
        maxPolicyCharacters: 2048,
        neededPolicies: 11,
        username: 'max',
      },
    });
    expectHolds('max', identityId, grants);
    expect(Object.keys(expectedSlots(t.aws, PREFIX, 'max', grants))).toHaveLength(10);

    const snapshot = JSON.stringify(t.aws.snapshot());
    const calls = t.aws.calls.length;
    expect((await setMember(t, refused!.site, 'max', 'operator', true)).status).toBe(409);
    expect((await setMember(t, refused!.site, 'max', 'operator')).status).toBe(409);
    expect(JSON.stringify(t.aws.snapshot())).toBe(snapshot);
    // The fit check reads nothing from AWS and writes nothing.
    expect(t.aws.calls.length).toBe(calls);
    const members = await admin(t).get(`/v1/sites/${refused!.site}/members`);
    expect(members.body.items).toEqual([]);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });

  it('dry runs answer what the change would create, attach, version, detach and delete, and change nothing', async () => {
    const sites = await manySites('dry', 14);
    const identityId = await signedIn('dora');
    let index = 0;
    for (; index < sites.length; index++) {
      const held = slotsInAws(t.aws, PREFIX, 'dora', identityId);
      const calls = t.aws.calls.filter((call) => !/^(Get|List)/.test(call.api)).length;
      const preview = await setMember(t, sites[index]!, 'dora', 'operator', true);
      expect(preview.status).toBe(200);
      expect(slotsInAws(t.aws, PREFIX, 'dora', identityId)).toEqual(held);
      // Reads only: no call that changes anything.
      expect(t.aws.calls.filter((call) => !/^(Get|List)/.test(call.api)).length).toBe(calls);
      expect(preview.body.dryRun).toBe(true);
      expect((await admin(t).get(`/v1/sites/${sites[index]}/members`)).body.items).toEqual([]);
      const done = await setMember(t, sites[index]!, 'dora', 'operator');
      expect(done.body.dryRun).toBe(false);
      expect({ ...done.body, dryRun: true }).toEqual(preview.body);
      expect(slotsInAws(t.aws, PREFIX, 'dora', identityId)).not.toEqual(held);
      if (preview.body.changes.create.length > 0) break;
    }
    expect(index).toBeLessThan(sites.length);
    const removal = await removeMember(t, sites[index]!, 'dora', true);
    expect(removal.body).toMatchObject({ dryRun: true, changes: { detach: ['iotp_dora.2'], delete: ['iotp_dora.2'] }, closesConnection: true });
    expect(slotsInAws(t.aws, PREFIX, 'dora', identityId).attached).toContain('iotp_dora.2');
  });

  it('applies 20 concurrent changes of one user one after another: all land, and the documents match the final membership', async () => {
    const sites = await manySites('burst', 20);
    const identityId = await signedIn('burt');
    // Half the sites already have burt; the burst adds the others, promotes some and removes some.
    for (const site of sites.slice(0, 10)) await member(t, site, 'burt', 'member');
    const requests = sites.map((site, i) => {
      if (i < 5) return removeMember(t, site, 'burt');
      if (i < 10) return setMember(t, site, 'burt', 'operator');
      return setMember(t, site, 'burt', i % 2 === 0 ? 'operator' : 'member');
    });
    const responses = await Promise.all(requests);
    expect(responses.map((response) => response.status)).toEqual(sites.map(() => 200));
    const final: SiteGrant[] = sites.slice(5).map((site, i) => ({ site, role: i < 5 || (i + 5) % 2 === 0 ? 'operator' : 'member' }));
    expectHolds('burt', identityId, final);
    expect((await entitlementsOf(t, 'burt')).body.sites).toEqual(
      [...final]
        .sort((a, b) => a.site.localeCompare(b.site))
        .map((grant) => ({ name: grant.site, role: grant.role, topicPrefix: `_sites/${grant.site}/` })),
    );
    expect(t.aws.iot.policyVersions('iotp_burt').length).toBeLessThanOrEqual(5);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });
});

describe('GET /v1/users/{username}/entitlements', () => {
  it('shows the compiled documents, slot by slot, with their sites and sizes', async () => {
    await readySite(t, 'ent-a');
    await readyUser(t, 'enzo');
    const plain = await entitlementsOf(t, 'enzo');
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ username: 'enzo', sites: [], limits: { maxPolicies: 10, maxPolicyCharacters: 2048 } });
    expect(plain.body.policies).toMatchObject([{ slot: 1, policyName: 'iotp_enzo', sites: [] }]);

    await member(t, 'ent-a', 'enzo', 'operator');
    const body = (await entitlementsOf(t, 'enzo')).body;
    expect(body.sites).toEqual([{ name: 'ent-a', role: 'operator', topicPrefix: '_sites/ent-a/' }]);
    expect(body.policies).toHaveLength(1);
    expect(body.policies[0].document).toEqual(JSON.parse(await t.aws.iot.getPolicyDocument('iotp_enzo')));
    expect(body.policies[0].characters).toBe(JSON.stringify(body.policies[0].document).length);
    expect((await entitlementsOf(t, 'nobody')).status).toBe(404);
  });
});

describe('users with sites', () => {
  it('disabling detaches every slot; enabling and signing in attaches them again', async () => {
    const sites = await manySites('dis', 14);
    const identityId = await signedIn('dina');
    for (const site of sites) await member(t, site, 'dina', 'operator');
    const grants = sites.map((site) => ({ site, role: 'operator' as const }));
    expectHolds('dina', identityId, grants);

    expect((await admin(t).post('/v1/users/dina/disable')).status).toBe(204);
    expectHolds('dina', identityId, grants, false);
    // A change while disabled versions and creates, but attaches nothing.
    await removeMember(t, sites[0]!, 'dina');
    expectHolds('dina', identityId, grants.slice(1), false);

    expect((await admin(t).post('/v1/users/dina/enable')).status).toBe(204);
    expect((await signIn(t, 'dina')).status).toBe(200);
    expectHolds('dina', identityId, grants.slice(1));
  });

  it('deleting a user removes every slot policy and their memberships', async () => {
    const sites = await manySites('del', 14);
    await signedIn('dell');
    for (const site of sites) await member(t, site, 'dell', 'operator');
    expect(Object.keys(slotsInAws(t.aws, PREFIX, 'dell').documents).length).toBeGreaterThan(1);
    expect((await admin(t).delete('/v1/users/dell')).status).toBe(204);
    expect(slotsInAws(t.aws, PREFIX, 'dell').documents).toEqual({});
    expect((await admin(t).get(`/v1/sites/${sites[0]}`)).body.memberCount).toBe(0);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });
});

describe('deleting a site', () => {
  it('deletes its devices, takes the site off every member, freeing slots no longer needed, then removes it', async () => {
    const sites = await manySites('gone', 14);
    const [doomed] = sites;
    const ada = await signedIn('ada');
    const bo = await signedIn('bo');
    await readyUser(t, 'cy');
    for (const site of sites) await member(t, site, 'ada', 'operator');
    await member(t, doomed!, 'bo', 'member');
    await member(t, doomed!, 'cy', 'operator');
    const reader = await registeredSiteDevice(t, doomed!, 'reader-1');

    expect((await admin(t).delete(`/v1/sites/${doomed}`)).status).toBe(204);
    expect(t.aws.snapshot().things.map((thing) => thing.thingName)).not.toContain(reader.thingName);
    expect(t.aws.snapshot().policies).not.toContain(reader.thingName);
    expect((await admin(t).get(`/v1/sites/${doomed}`)).status).toBe(404);
    expectHolds(
      'ada',
      ada,
      sites.slice(1).map((site) => ({ site, role: 'operator' as const })),
    );
    expectHolds('bo', bo, []);
    expectHolds('cy', null, []);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });

  it('waits for a member change under way, which may yet be undone, before it removes the site', async () => {
    await readySite(t, 'race');
    const rae = await signedIn('rae');
    await member(t, 'race', 'rae', 'operator');
    let fail!: (error: Error) => void;
    const reached = new Promise<void>((resolve) => {
      const stop = t.aws.onCall('CreatePolicyVersion', () => {
        stop();
        resolve();
        return new Promise<void>((_, reject) => (fail = reject));
      });
    });
    // The removal has taken rae's row out and waits at AWS; the deletion starts meanwhile.
    const leaving = Promise.resolve(removeMember(t, 'race', 'rae'));
    await reached;
    const deleting = Promise.resolve(admin(t).delete('/v1/sites/race'));
    const prisma = t.app.get(PrismaService);
    await expect
      .poll(async () => {
        const operation = await prisma.operation.findFirst({ where: { kind: 'delete-site', subject: 'site:race' } });
        return (operation?.steps as Array<{ name: string; status: string }> | undefined)?.find((step) => step.name === 'removeMembers')?.status;
      })
      .toBe('started');
    // The removal fails and is undone: rae's row is back, and the deletion takes the site off rae after all.
    fail(new DomainError('AWS_UNAVAILABLE', 'injected'));
    expect((await leaving).status).toBe(503);
    expect((await deleting).status).toBe(204);
    expectHolds('rae', rae, []);
    expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
  });

  it('refuses new members once its deletion started, and a repeated delete finishes it', async () => {
    await readySite(t, 'halfway');
    const hal = await signedIn('hal');
    await member(t, 'halfway', 'hal', 'member');
    // The member's removal fails at AWS: the deletion stops after marking the site.
    t.aws.faults.inject({ api: 'CreatePolicyVersion', error: 'unavailable' });
    expect((await admin(t).delete('/v1/sites/halfway')).status).toBe(503);
    t.aws.faults.clear();
    expect((await admin(t).get('/v1/sites/halfway')).body.deletionStartedAt).not.toBeNull();
    await readyUser(t, 'hank');
    const refused = await setMember(t, 'halfway', 'hank', 'member');
    expect(refused.status).toBe(409);
    expect(refused.body.details).toMatchObject({ reason: 'SITE_BEING_DELETED', site: 'halfway' });
    expect((await admin(t).delete('/v1/sites/halfway')).status).toBe(204);
    expectHolds('hal', hal, []);
  });
});

/** `count` sites with long names (so that few fit in one document), created through the API. */
async function manySites(tag: string, count: number, width = 40): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(3, '0')}-${'x'.repeat(Math.max(1, width - tag.length - 5))}`);
  for (const name of names) await readySite(t, name);
  return names;
}
