import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Entitlements } from '../../src/entitlements/entitlements.js';
import { siteDevicePolicyDocument } from '../../src/policy/documents.js';
import { createTestCsr } from '../support/csr.js';
import { insertSite, query } from '../support/factories.js';
import { admin } from '../support/http/admin.js';
import { registeredDevice, registeredSiteDevice } from '../support/http/devices.js';
import { readyUser } from '../support/http/users.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Item = { kind: string; name: string; action: string; owner?: string; site?: string; device?: string; result?: string; markedAt?: string };
type Report = {
  orphans: Item[];
  ghosts: Item[];
  unattachedCertificates: Item[];
  changedPolicies: Array<Item & { expectedDocument?: string }>;
  inProgress: string[];
  scanned: Record<string, number>;
};

const brief = (items: Item[]) => items.map(({ kind, name, action }) => `${kind} ${name} ${action}`);

/**
 * Site dock: gate (registered, untouched) and crane (its policy deleted behind the service's back);
 * in AWS only: thing iotp-site_dock_probe with a certificate nothing records, and policy
 * iotp-site_yard_old. User alice has a healthy device, so every list mixes users' and sites' names.
 */
describe("drift for a site's devices", () => {
  let t: TestApp;
  let gate: { thingName: string; certificateId: string };
  let stray: string;
  const arn = (kind: 'cert', id: string) => `arn:aws:iot:${t.aws.region}:${t.aws.accountId}:${kind}/${id}`;

  beforeAll(async () => {
    t = await startTestApp({ env: { DRIFT_SCAN_BATCH: '2' } });
    for (const site of ['dock', 'yard']) await insertSite(t, site);
    await readyUser(t, 'alice');
    await registeredDevice(t, 'alice', 'scanner');
    gate = await registeredSiteDevice(t, 'dock', 'gate');
    const crane = await registeredSiteDevice(t, 'dock', 'crane');
    await t.aws.iot.detachPolicy(crane.thingName, arn('cert', crane.certificateId));
    await t.aws.iot.deletePolicy(crane.thingName);

    await t.aws.iot.createThing('iotp-site_dock_probe', {});
    stray = (await t.aws.iot.createCertificateFromCsr(createTestCsr().csrPem)).certificateId;
    await t.aws.iot.attachThingPrincipal('iotp-site_dock_probe', arn('cert', stray));
    await t.aws.iot.createPolicy('iotp-site_yard_old', await t.aws.iot.getPolicyDocument(gate.thingName));
  });
  afterAll(async () => t?.close());

  const detect = async (queryString = ''): Promise<Report> => {
    const response = await admin(t).get(`/v1/admin/drift${queryString}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as Report;
  };

  it("reports orphans and ghosts of a site's devices with the site as owner, and nothing of a registered one", async () => {
    const report = await detect();

    expect(brief(report.orphans)).toEqual([`certificate ${stray} delete`, 'policy iotp-site_yard_old delete', 'thing iotp-site_dock_probe delete']);
    expect(report.orphans).toEqual([
      expect.objectContaining({ owner: 'dock', site: 'dock', device: 'probe', attachedToThings: ['iotp-site_dock_probe'] }),
      expect.objectContaining({ owner: 'yard', site: 'yard', device: 'old', reason: 'No user or device record has this policy name' }),
      expect.objectContaining({ owner: 'dock', site: 'dock', device: 'probe', reason: 'No device record has this thing name' }),
    ]);
    expect(report.ghosts).toEqual([
      expect.objectContaining({
        kind: 'policy',
        name: 'iotp-site_dock_crane',
        owner: 'dock',
        site: 'dock',
        device: 'crane',
        action: 'mark',
        record: 'device',
        reason: 'The device record names a policy AWS does not have',
      }),
    ]);
    // gate's thing, policy (whose document is the site device document) and certificate agree with its rows.
    const named = JSON.stringify([...report.orphans, ...report.ghosts, ...report.unattachedCertificates, ...report.changedPolicies]);
    expect(named).not.toContain(gate.thingName);
    expect(named).not.toContain(gate.certificateId);
    expect(report.unattachedCertificates).toEqual([]);
    expect(report.changedPolicies).toEqual([]);
    expect(report.scanned).toMatchObject({ things: 4, users: 1, devices: 3 });
  });

  it("reports a site device's policy widened by hand, against the site device document", async () => {
    const original = await t.aws.iot.getPolicyDocument(gate.thingName);
    t.aws.iot.addPolicyVersion(
      gate.thingName,
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }),
      true,
    );
    try {
      const { changedPolicies } = await detect();
      const scope = { region: t.aws.region, accountId: t.aws.accountId };
      expect(changedPolicies).toEqual([
        expect.objectContaining({ kind: 'policy-document', name: gate.thingName, owner: 'dock', site: 'dock', device: 'gate', action: 'restore' }),
      ]);
      expect(JSON.parse(changedPolicies[0]!.expectedDocument!)).toEqual(siteDevicePolicyDocument(scope, 'iotp', 'dock', 'gate'));
    } finally {
      t.aws.iot.addPolicyVersion(gate.thingName, original, true);
    }
    expect((await detect()).changedPolicies).toEqual([]);
  });

  it('leaves site devices out of ?user= and ?prefix= scans: the filters name users, whatever a site is called', async () => {
    for (const filter of ['?user=alice', '?prefix=al', '?prefix=dock', '?prefix=yard', '?user=dock']) {
      const report = await detect(filter);
      const named = JSON.stringify(report);
      expect(named, filter).not.toContain('iotp-site_');
      expect(named, filter).not.toContain(stray);
      expect(report.scanned.devices, filter).toBe(filter === '?user=alice' || filter === '?prefix=al' ? 1 : 0);
    }
  });

  it("repairs them: orphans removed from AWS under the device's lock, the ghost's row marked, the registered device untouched", async () => {
    const response = await admin(t).post('/v1/admin/drift/repair?dryRun=false');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const done = response.body as { orphans: Item[]; ghosts: Item[] };
    expect(done.orphans.map((item) => `${item.name} ${item.result}`)).toEqual([
      `${stray} done`,
      'iotp-site_yard_old done',
      'iotp-site_dock_probe done',
    ]);
    expect(done.ghosts.map((item) => `${item.name} ${item.result}`)).toEqual(['iotp-site_dock_crane done']);

    const snapshot = t.aws.snapshot();
    expect(snapshot.things.map((thing) => thing.thingName).sort()).toEqual(['iotp-site_dock_crane', 'iotp-site_dock_gate', 'iotp_alice_scanner']);
    expect(snapshot.policies).not.toContain('iotp-site_yard_old');
    expect(snapshot.policies).toContain(gate.thingName);
    expect(snapshot.certificates.map((certificate) => certificate.certificateId)).not.toContain(stray);
    expect(snapshot.certificates.map((certificate) => certificate.certificateId)).toContain(gate.certificateId);
    expect(snapshot.thingPrincipals).toContainEqual({ thingName: gate.thingName, principal: arn('cert', gate.certificateId) });
    expect(snapshot.policyAttachments).toContainEqual({ policyName: gate.thingName, target: arn('cert', gate.certificateId) });

    // Each repair ran under the device's subject, so it serialises with that device's registration and deletion.
    const operations = await query<{ kind: string; subject: string }>(
      t,
      `SELECT kind, subject FROM operations WHERE kind LIKE 'drift-%' ORDER BY kind`,
    );
    expect(operations).toEqual([
      { kind: 'drift-delete-certificate', subject: 'device:iotp-site_dock_probe' },
      { kind: 'drift-delete-policy', subject: 'device:iotp-site_yard_old' },
      { kind: 'drift-delete-thing', subject: 'device:iotp-site_dock_probe' },
    ]);
    const marked = await query<{ name: string }>(t, `SELECT name FROM devices WHERE drift_detected_at IS NOT NULL`);
    expect(marked).toEqual([{ name: 'crane' }]);

    const after = await detect();
    expect(after.orphans).toEqual([]);
    expect(after.ghosts).toEqual([expect.objectContaining({ name: 'iotp-site_dock_crane', markedAt: expect.any(String) })]);
  });

  it('judges nothing of a site whose operation is running (its deletion, say): they are in progress', async () => {
    await t.aws.iot.createThing('iotp-site_yard_late', {});
    await query(
      t,
      `INSERT INTO operations (id, kind, subject, active_subject, status, params, steps, lease_expires_at, updated_at)
       VALUES (gen_random_uuid(), 'delete-site', 'site:yard', 'site:yard', 'RUNNING', '{}'::jsonb, '[]'::jsonb, now() + interval '1 hour', now())`,
    );
    const report = await detect();
    expect(report.orphans).toEqual([]);
    expect(report.inProgress).toEqual(['iotp-site_yard_late']);
  });

  it("compares a site member's policy with the document their entitlements compile to, not the document of a user in no site", async () => {
    await readyUser(t, 'mia');
    await query(
      t,
      `INSERT INTO site_members (site_id, user_id, role, updated_at)
       SELECT s.id, u.id, 'MEMBER', now() FROM sites s, users u WHERE s.name = 'dock' AND u.username = 'mia'`,
    );
    const compiled = await t.app.get(Entitlements).compile('mia');
    expect(compiled.map((policy) => policy.policyName)).toEqual(['iotp_mia']);

    // AWS still holds the document of a user in no site: it lacks the site's topics.
    const stale = (await detect()).changedPolicies.filter((item) => item.name === 'iotp_mia');
    expect(stale).toEqual([expect.objectContaining({ kind: 'policy-document', owner: 'mia', action: 'restore' })]);
    expect(JSON.parse(stale[0]!.expectedDocument!)).toEqual(compiled[0]!.document);

    t.aws.iot.addPolicyVersion('iotp_mia', compiled[0]!.text, true);
    expect((await detect()).changedPolicies.map((item) => item.name)).not.toContain('iotp_mia');
  });
});
