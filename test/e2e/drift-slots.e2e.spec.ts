import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSlots, slotsInAws } from '../support/entitlements.js';
import { query } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { signIn } from '../support/http/sessions.js';
import { createSite, member, removeMember } from '../support/http/sites.js';
import { readyUser } from '../support/http/users.js';
import { fillingSites } from '../support/site-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Item = { kind: string; name: string; target?: string; action: string; result?: string; owner?: string; reason?: string };
type Report = { orphans: Item[]; ghosts: Item[]; changedPolicies: Array<Item & { expectedDocument?: string }>; inProgress: string[] };

const brief = (items: Item[]) => items.map(({ kind, name, target, action }) => [kind, name, ...(target ? [target] : []), action].join(' '));

/**
 * vera, signed in, operator of enough sites for two policies (iotp_vera, iotp_vera.2): what a
 * membership change leaves. Each case takes AWS away from that by hand, and leaves it restored.
 */
describe("drift of a site member's further policies", () => {
  let t: TestApp;
  let sites: string[];
  let identityId: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { DRIFT_SCAN_BATCH: '2' } });
    for (const username of ['alice', 'vera']) await readyUser(t, username);
    expect((await signIn(t, 'vera')).status).toBe(200);
    const { fill, first } = fillingSites(t.aws, 'vera', 'hall');
    sites = [...fill, first];
    for (const site of sites) expect((await createSite(t, site)).status).toBe(201);
    for (const site of sites) await member(t, site, 'vera', 'operator');
    identityId = (await query<{ identity_id: string }>(t, "SELECT identity_id FROM users WHERE username = 'vera'"))[0]!.identity_id;
  });
  afterAll(async () => t?.close());

  const detect = async (queryString = ''): Promise<Report> => {
    const response = await admin(t).get(`/v1/admin/drift${queryString}`);
    expect(response.status).toBe(200);
    return response.body as Report;
  };
  const repair = async (): Promise<Report> => {
    const response = await admin(t).post('/v1/admin/drift/repair?dryRun=false');
    expect(response.status).toBe(200);
    return response.body as Report;
  };
  const grants = () => sites.map((site) => ({ site, role: 'operator' as const }));
  /** vera's policies in AWS are exactly what her sites compile to, each on her identity. */
  const holdsHerSites = () => {
    const expected = expectedSlots(t.aws, 'iotp', 'vera', grants());
    const held = slotsInAws(t.aws, 'iotp', 'vera', identityId);
    expect(held.documents).toEqual(expected);
    expect(held.attached).toEqual(Object.keys(expected));
  };
  /** What deleting a policy by hand takes: its attachments and its other versions first, as AWS requires. */
  async function deleteBehindTheBack(policyName: string) {
    for (const { target } of t.aws.iot.snapshot().policyAttachments.filter((link) => link.policyName === policyName)) {
      await t.aws.iot.detachPolicy(policyName, target);
    }
    for (const version of t.aws.iot.policyVersions(policyName).filter((candidate) => !candidate.isDefault)) {
      await t.aws.iot.deletePolicyVersion(policyName, version.versionId);
    }
    await t.aws.iot.deletePolicy(policyName);
  }
  const clean = async () => {
    const report = await detect();
    expect([...report.orphans, ...report.ghosts, ...report.changedPolicies]).toEqual([]);
  };

  it('finds nothing when AWS holds every policy her sites compile to', async () => {
    expect(Object.keys(expectedSlots(t.aws, 'iotp', 'vera', grants()))).toEqual(['iotp_vera', 'iotp_vera.2']);
    holdsHerSites();
    await clean();
  });

  it('creates a further policy AWS lost again, with the compiled document, on her identity', async () => {
    await deleteBehindTheBack('iotp_vera.2');

    expect(brief((await detect()).ghosts)).toEqual(['policy iotp_vera.2 recreate']);
    const repaired = await repair();
    expect(repaired.ghosts).toEqual([expect.objectContaining({ kind: 'policy', name: 'iotp_vera.2', action: 'recreate', result: 'done' })]);
    holdsHerSites();
    await clean();
  });

  it('resets the record when a further policy is off her identity, so the next sign-in attaches every one again', async () => {
    await t.aws.iot.detachPolicy('iotp_vera.2', identityId);

    expect(brief((await detect()).ghosts)).toEqual([`policy-attachment iotp_vera.2 ${identityId} reset`]);
    await repair();
    expect(
      (await query<{ attached: boolean }>(t, "SELECT policy_attached_at IS NOT NULL AS attached FROM users WHERE username = 'vera'"))[0],
    ).toEqual({
      attached: false,
    });
    expect((await signIn(t, 'vera')).status).toBe(200);
    holdsHerSites();
    await clean();
  });

  it('removes further policies no membership needs: beyond what her sites take, or of no user', async () => {
    const document = await t.aws.iot.getPolicyDocument('iotp_vera.2');
    await t.aws.iot.createPolicy('iotp_vera.3', document);
    await t.aws.iot.attachPolicy('iotp_vera.3', identityId);
    await t.aws.iot.createPolicy('iotp_zoe.2', document);

    const report = await detect();
    expect(brief(report.orphans)).toEqual(['policy iotp_vera.3 delete', 'policy iotp_zoe.2 delete']);
    expect(report.orphans[0]).toMatchObject({ owner: 'vera', reason: expect.stringContaining('slot 3') });
    await repair();
    expect(t.aws.snapshot().policies).not.toEqual(expect.arrayContaining(['iotp_vera.3']));
    expect(t.aws.snapshot().policies).not.toEqual(expect.arrayContaining(['iotp_zoe.2']));
    holdsHerSites();
    await clean();
  });

  it('reports a further policy widened by hand against its compiled document', async () => {
    const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
    const versionId = t.aws.iot.addPolicyVersion('iotp_vera.2', wide, true);

    const { changedPolicies } = await detect();
    const expected = expectedSlots(t.aws, 'iotp', 'vera', grants())['iotp_vera.2'];
    expect(changedPolicies).toEqual([expect.objectContaining({ kind: 'policy-document', name: 'iotp_vera.2', owner: 'vera', action: 'restore' })]);
    expect(JSON.parse(changedPolicies[0]!.expectedDocument!)).toEqual(expected);
    // Put back by hand, as the README says.
    const versions = t.aws.iot.policyVersions('iotp_vera.2');
    const previous = versions.filter((version) => version.versionId !== versionId).at(-1)!;
    t.aws.iot.addPolicyVersion('iotp_vera.2', previous.document, true);
    await clean();
  });

  it('covers her further policies in a scan of her alone, and leaves them out of a scan of another user', async () => {
    await deleteBehindTheBack('iotp_vera.2');
    expect(brief((await detect('?user=vera')).ghosts)).toEqual(['policy iotp_vera.2 recreate']);
    expect((await detect('?user=alice')).ghosts).toEqual([]);
    expect((await admin(t).post('/v1/admin/drift/repair?dryRun=false&user=vera')).status).toBe(200);
    holdsHerSites();
  });

  it('agrees again once a membership change frees the second policy', async () => {
    const last = sites.pop()!;
    expect((await removeMember(t, last, 'vera')).status).toBe(200);
    expect(Object.keys(slotsInAws(t.aws, 'iotp', 'vera', identityId).documents)).toEqual(['iotp_vera']);
    holdsHerSites();
    await clean();
  });
});
