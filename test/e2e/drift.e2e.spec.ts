import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestCsr } from '../support/csr.js';
import { query } from '../support/factories.js';
import { registeredDevice } from '../support/http/devices.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';
import { signIn } from '../support/http/sessions.js';
import { readyUser } from '../support/http/users.js';

type Item = { kind: string; name: string; target?: string; action: string; result?: string };

/** `kind name [target] action`, a compact view of findings to compare lists with. */
const brief = (items: Item[]) => items.map(({ kind, name, target, action }) => [kind, name, ...(target ? [target] : []), action].join(' '));
const certificateArn = (certificateId: string) => `arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}`;

describe('drift detection and repair', () => {
  let t: TestApp;
  beforeEach(async () => {
    // Two rows a batch, as the fakes list two items a page: every keyset boundary of the scan is crossed.
    t = await startTestApp({ env: { DRIFT_SCAN_BATCH: '2' } });
  });
  afterEach(async () => t?.close());

  const detect = async () => {
    const response = await admin(t).get('/v1/admin/drift');
    expect(response.status).toBe(200);
    return response.body as {
      orphans: Item[];
      ghosts: Array<Item & { markedAt?: string | null; record?: string }>;
      unattachedCertificates: Item[];
      inProgress: string[];
      scanned: unknown;
    };
  };
  const repair = async (queryString = '') => {
    const response = await admin(t).post(`/v1/admin/drift/repair${queryString}`);
    expect(response.status).toBe(200);
    return response.body as {
      dryRun: boolean;
      orphans: Array<Item & { error?: { code: string } }>;
      ghosts: Array<Item & { markedAt?: string }>;
      unattachedCertificates: Array<Item & { note?: string; error?: { code: string } }>;
      summary: Record<string, number>;
    };
  };

  /** alice (scanner, camera), bob (sensor), carol (no device): more of each than one fake page (2) holds. */
  async function provision() {
    for (const username of ['alice', 'bob', 'carol']) await readyUser(t, username);
    return {
      scanner: await registeredDevice(t, 'alice', 'scanner'),
      camera: await registeredDevice(t, 'alice', 'camera'),
      sensor: await registeredDevice(t, 'bob', 'sensor'),
    };
  }

  /** A certificate AWS issued that nothing records, as a process that died right after CreateCertificateFromCsr leaves it. */
  const strayCertificate = async () => (await t.aws.iot.createCertificateFromCsr(createTestCsr().csrPem)).certificateId;

  async function deleteThingBehindTheBack(thingName: string) {
    for (const { principal } of t.aws.iot.snapshot().thingPrincipals.filter((link) => link.thingName === thingName)) {
      await t.aws.iot.detachThingPrincipal(thingName, principal);
    }
    await t.aws.iot.deleteThing(thingName);
  }

  async function deleteCertificateBehindTheBack(certificateId: string) {
    const arn = certificateArn(certificateId);
    const snapshot = t.aws.iot.snapshot();
    for (const link of snapshot.thingPrincipals.filter((l) => l.principal === arn)) await t.aws.iot.detachThingPrincipal(link.thingName, arn);
    for (const link of snapshot.policyAttachments.filter((l) => l.target === arn)) await t.aws.iot.detachPolicy(link.policyName, arn);
    await t.aws.iot.updateCertificateStatus(certificateId, 'INACTIVE');
    await t.aws.iot.deleteCertificate(certificateId);
  }

  const markedRows = async () =>
    (
      await query<{ name: string }>(
        t,
        `SELECT 'user ' || username AS name FROM users WHERE drift_detected_at IS NOT NULL
         UNION ALL SELECT 'device ' || thing_name FROM devices WHERE drift_detected_at IS NOT NULL
         UNION ALL SELECT 'certificate ' || certificate_id FROM certificates WHERE drift_detected_at IS NOT NULL ORDER BY 1`,
      )
    ).map((row) => row.name);

  /** Ghosts (bob's thing, carol's policy, alice's camera certificate), orphans, an unattached certificate, and resources that are not ours. */
  async function drift() {
    const devices = await provision();
    await deleteThingBehindTheBack(devices.sensor.thingName);
    await t.aws.iot.deletePolicy('iotp_carol');
    await deleteCertificateBehindTheBack(devices.camera.certificateId);

    await t.aws.iot.createThing('iotp_mallory_probe', {});
    const orphanCertificate = await strayCertificate();
    await t.aws.iot.attachThingPrincipal('iotp_mallory_probe', certificateArn(orphanCertificate));
    const document = await t.aws.iot.getPolicyDocument('iotp_alice_scanner');
    await t.aws.iot.createPolicy('iotp_mallory', document);
    await t.aws.iot.createPolicy('iotp_alice_old', document);
    t.aws.iot.addPolicyVersion('iotp_alice_old', document);
    const unattached = await strayCertificate();

    // Not ours: no prefix, or the prefix in a shape this service never composes.
    await t.aws.iot.createThing('warehouse-robot-7', {});
    await t.aws.iot.createThing('iotp_Shouty', {});
    await t.aws.iot.createPolicy('otherapp_alice', document);
    await t.aws.iot.createPolicy('iotp_a_b_c', document);
    return { devices, orphanCertificate, unattached };
  }

  it('finds nothing when the database and AWS agree, reading every page of every list', async () => {
    await provision();
    t.aws.resetCalls();

    const report = await detect();

    expect(report).toMatchObject({
      orphans: [],
      ghosts: [],
      unattachedCertificates: [],
      inProgress: [],
      scanned: { things: 3, policies: 6, certificates: 3 },
    });
    expect(t.aws.countCalls('ListThings')).toBe(2);
    expect(t.aws.countCalls('ListPolicies')).toBe(3);
    expect(t.aws.countCalls('ListCertificates')).toBe(2);
    // One listing per thing and per policy of ours, nothing per certificate.
    expect(t.aws.countCalls('ListThingPrincipals')).toBe(3);
    expect(t.aws.countCalls('ListTargetsForPolicy')).toBe(6);
    expect(t.aws.countCalls('ListAttachedPolicies')).toBe(0);
  });

  it('reports a policy whose default version was widened by hand to iot:* on *, with both documents and the other versions', async () => {
    const { scanner } = await provision();
    const untouched = await detect();
    expect((untouched as unknown as { changedPolicies: unknown[] }).changedPolicies).toEqual([]);

    // Same document with other whitespace and key order: not drift.
    const original = JSON.parse(await t.aws.iot.getPolicyDocument('iotp_bob')) as Record<string, unknown>;
    t.aws.iot.addPolicyVersion('iotp_bob', JSON.stringify({ Statement: original.Statement, Version: original.Version }, null, 2), true);

    const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
    const expected = await t.aws.iot.getPolicyDocument('iotp_alice_scanner');
    const versionId = t.aws.iot.addPolicyVersion('iotp_alice_scanner', wide, true);
    const report = (await detect()) as unknown as { changedPolicies: Array<Item & Record<string, unknown>>; orphans: Item[]; ghosts: Item[] };
    expect(report.changedPolicies).toEqual([
      {
        kind: 'policy-document',
        name: 'iotp_alice_scanner',
        owner: 'alice',
        device: 'scanner',
        reason: `policy document differs: the default version (${versionId}) is not the document this service generates`,
        action: 'restore',
        awsDocument: wide,
        defaultVersionId: versionId,
        expectedDocument: expected,
        otherVersionIds: ['1'],
      },
    ]);
    expect(JSON.parse(report.changedPolicies[0]!.expectedDocument as string)).toEqual(JSON.parse(expected));
    expect([...report.orphans, ...report.ghosts]).toEqual([]);
    expect(scanner.thingName).toBe('iotp_alice_scanner');
  });

  it('reports orphans and ghosts, lists unattached certificates apart, and ignores what is not ours', async () => {
    const { devices, orphanCertificate, unattached } = await drift();

    const report = await detect();

    expect(brief(report.orphans)).toEqual([
      `certificate ${orphanCertificate} delete`,
      'policy iotp_alice_old delete',
      'policy iotp_mallory delete',
      'thing iotp_mallory_probe delete',
    ]);
    expect(report.orphans[0]).toMatchObject({ owner: 'mallory', device: 'probe', attachedToThings: ['iotp_mallory_probe'], status: 'ACTIVE' });
    expect(brief(report.ghosts)).toEqual([
      `certificate ${devices.camera.certificateId} mark`,
      'policy iotp_carol mark',
      'thing iotp_bob_sensor mark',
    ]);
    expect(report.ghosts.map((ghost) => [ghost.record, ghost.markedAt])).toEqual([
      ['certificate', null],
      ['user', null],
      ['device', null],
    ]);
    expect(report.unattachedCertificates).toEqual([expect.objectContaining({ kind: 'certificate', name: unattached, action: 'review' })]);
  });

  it('plans without changing anything unless dryRun=false', async () => {
    await drift();
    const before = t.aws.snapshot();

    for (const dryRun of ['', '?dryRun=true']) {
      const plan = await repair(dryRun);
      expect(plan.dryRun).toBe(true);
      expect(new Set([...plan.orphans, ...plan.ghosts].map((item) => item.result))).toEqual(new Set(['planned']));
      expect(plan.unattachedCertificates.map((item) => item.result)).toEqual(['not-requested']);
      expect(plan.summary).toEqual({ planned: 7, done: 0, skipped: 0, failed: 0 });
    }

    expect(t.aws.snapshot()).toEqual(before);
    expect(await markedRows()).toEqual([]);
    expect((await admin(t).post('/v1/admin/drift/repair?dryRun=maybe')).body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it("removes orphans in AWS's delete order, marks ghosts, and a second scan shows only the marked ghosts", async () => {
    const { devices, orphanCertificate, unattached } = await drift();
    t.aws.resetCalls();

    const done = await repair('?dryRun=false');

    expect(done.summary).toEqual({ planned: 0, done: 7, skipped: 0, failed: 0 });
    const mutations = t.aws.calls.map((call) => call.api).filter((api) => !/^(List|Get)/.test(api));
    expect(mutations).toEqual([
      'DetachThingPrincipal',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeletePolicyVersion',
      'DeletePolicy',
      'DeletePolicy',
      'DeleteThing',
    ]);
    const snapshot = t.aws.snapshot();
    expect(snapshot.things.map((thing) => thing.thingName).sort()).toEqual([
      'iotp_Shouty',
      'iotp_alice_camera',
      'iotp_alice_scanner',
      'warehouse-robot-7',
    ]);
    expect(snapshot.policies.sort()).toEqual([
      'iotp_a_b_c',
      'iotp_alice',
      'iotp_alice_camera',
      'iotp_alice_scanner',
      'iotp_bob',
      'iotp_bob_sensor',
      'otherapp_alice',
    ]);
    expect(snapshot.certificates.map((c) => c.certificateId)).not.toContain(orphanCertificate);
    expect(snapshot.certificates.map((c) => c.certificateId)).toContain(unattached);
    expect(await markedRows()).toEqual([`certificate ${devices.camera.certificateId}`, 'device iotp_bob_sensor', 'user carol'].sort());
    const markedAt = done.ghosts[0]!.markedAt;
    expect(done.ghosts.every((ghost) => ghost.result === 'done' && ghost.markedAt === markedAt)).toBe(true);

    const after = await detect();
    expect(after.orphans).toEqual([]);
    expect(brief(after.ghosts)).toEqual(brief(done.ghosts));
    expect(after.ghosts.map((ghost) => ghost.markedAt)).toEqual([markedAt, markedAt, markedAt]);
    expect(after.unattachedCertificates.map((item) => item.name)).toEqual([unattached]);

    // Marks keep the time a ghost was first found; each repair is recorded as an operation.
    const again = await repair('?dryRun=false');
    expect(again.ghosts.map((ghost) => ghost.markedAt)).toEqual([markedAt, markedAt, markedAt]);
    const operations = await admin(t).get('/v1/operations?limit=100');
    expect(
      operations.body.items
        .filter((op: { kind: string }) => op.kind.startsWith('drift-'))
        .map((op: { kind: string; status: string }) => `${op.kind} ${op.status}`)
        .sort(),
    ).toEqual([
      'drift-delete-certificate COMPLETED',
      'drift-delete-policy COMPLETED',
      'drift-delete-policy COMPLETED',
      'drift-delete-thing COMPLETED',
    ]);
  });

  it('clears a mark once AWS has the resource again', async () => {
    await provision();
    await t.aws.iot.deletePolicy('iotp_carol');
    await repair('?dryRun=false');
    expect(await markedRows()).toEqual(['user carol']);

    await t.aws.iot.createPolicy('iotp_carol', await t.aws.iot.getPolicyDocument('iotp_alice'));
    const done = await repair('?dryRun=false');
    expect(done.ghosts).toEqual([]);
    expect(await markedRows()).toEqual([]);
  });

  it('removes unattached certificates only when asked, and only those nothing else uses', async () => {
    await provision();
    const free = await strayCertificate();
    const withPolicy = await strayCertificate();
    await t.aws.iot.createPolicy('otherapp_device', await t.aws.iot.getPolicyDocument('iotp_alice'));
    await t.aws.iot.attachPolicy('otherapp_device', certificateArn(withPolicy));
    const onForeignThing = await strayCertificate();
    await t.aws.iot.createThing('warehouse-robot-7', {});
    await t.aws.iot.attachThingPrincipal('warehouse-robot-7', certificateArn(onForeignThing));

    expect((await repair('?dryRun=false')).unattachedCertificates.map((item) => item.result)).toEqual([
      'not-requested',
      'not-requested',
      'not-requested',
    ]);
    expect((await repair('?includeUnattachedCertificates=true')).unattachedCertificates.map((item) => item.result)).toEqual([
      'planned',
      'planned',
      'planned',
    ]);

    const done = await repair('?dryRun=false&includeUnattachedCertificates=true');

    const byId = new Map(done.unattachedCertificates.map((item) => [item.name, item]));
    expect(byId.get(free)).toMatchObject({ result: 'done' });
    expect(byId.get(withPolicy)).toMatchObject({ result: 'skipped', note: expect.stringMatching(/otherapp_device/) });
    // AWS refuses to delete a certificate on a thing; the undo makes it ACTIVE again.
    expect(byId.get(onForeignThing)).toMatchObject({ result: 'failed', error: { code: 'CONFLICT' } });
    expect(t.aws.iot.certificateStatus(free)).toBeUndefined();
    expect(t.aws.iot.certificateStatus(withPolicy)).toBe('ACTIVE');
    expect(t.aws.iot.certificateStatus(onForeignThing)).toBe('ACTIVE');
  });

  it('goes on past a failure, and repeating the repair finishes', async () => {
    await provision();
    for (const name of ['iotp_mallory_a', 'iotp_mallory_b']) await t.aws.iot.createThing(name, {});
    t.aws.faults.inject({ api: 'DeleteThing', error: 'unavailable' });

    const first = await repair('?dryRun=false');
    expect(first.orphans.map((item) => [item.name, item.result, item.error?.code])).toEqual([
      ['iotp_mallory_a', 'failed', 'AWS_UNAVAILABLE'],
      ['iotp_mallory_b', 'done', undefined],
    ]);
    expect(first.summary).toMatchObject({ done: 1, failed: 1 });
    expect(t.aws.snapshot().things.map((thing) => thing.thingName)).toContain('iotp_mallory_a');

    expect((await repair('?dryRun=false')).summary).toMatchObject({ done: 1, failed: 0 });
    expect((await detect()).orphans).toEqual([]);
  });

  it('leaves alone what a running operation is changing', async () => {
    await provision();
    await t.aws.iot.createThing('iotp_mallory_probe', {});
    await query(
      t,
      `INSERT INTO operations (id, kind, subject, active_subject, lease_expires_at, updated_at) VALUES (gen_random_uuid(), 'register-device', $1, $1, now() + interval '1 hour', now())`,
      ['device:iotp_mallory_probe'],
    );

    expect(await detect()).toMatchObject({ orphans: [], inProgress: ['iotp_mallory_probe'] });
    await repair('?dryRun=false');
    expect(t.aws.snapshot().things.map((thing) => thing.thingName)).toContain('iotp_mallory_probe');
  });

  it('detaches attachments no record accounts for, and resets a claimed attachment AWS lost so the next sign-in restores it', async () => {
    const { sensor } = await provision();
    const alice = (await signIn(t, 'alice')).body.identityId as string;
    const bob = (await signIn(t, 'bob')).body.identityId as string;
    // bob's certificate on alice's thing; alice's policy on bob's identity; bob's attachment gone behind the service's back.
    await t.aws.iot.attachThingPrincipal('iotp_alice_scanner', certificateArn(sensor.certificateId));
    await t.aws.iot.attachPolicy('iotp_alice', bob);
    await t.aws.iot.detachPolicy('iotp_bob', bob);

    const report = await detect();
    expect(brief(report.orphans)).toEqual([
      `policy-attachment iotp_alice ${bob} detach`,
      `thing-principal iotp_alice_scanner ${certificateArn(sensor.certificateId)} detach`,
    ]);
    expect(brief(report.ghosts)).toEqual([`policy-attachment iotp_bob ${bob} reset`]);

    expect((await repair('?dryRun=false')).summary).toMatchObject({ done: 3, failed: 0 });
    const snapshot = t.aws.snapshot();
    expect(snapshot.policyAttachments).toContainEqual({ policyName: 'iotp_alice', target: alice });
    expect(snapshot.policyAttachments).not.toContainEqual({ policyName: 'iotp_alice', target: bob });
    expect(snapshot.thingPrincipals).toContainEqual({ thingName: 'iotp_bob_sensor', principal: certificateArn(sensor.certificateId) });
    expect(snapshot.thingPrincipals).not.toContainEqual({ thingName: 'iotp_alice_scanner', principal: certificateArn(sensor.certificateId) });
    expect((await admin(t).get('/v1/users/bob')).body).toMatchObject({ policyAttached: false });

    expect((await signIn(t, 'bob')).status).toBe(200);
    expect(t.aws.snapshot().policyAttachments).toContainEqual({ policyName: 'iotp_bob', target: bob });
    const clean = await detect();
    expect(clean.orphans).toEqual([]);
    expect(clean.ghosts).toEqual([]);
  });

  it("detaches a disabled user's policy that a stopped disable left on the identity", async () => {
    await provision();
    const { identityId } = (await signIn(t, 'alice')).body as { identityId: string };
    await query(t, `UPDATE users SET status = 'DISABLED' WHERE username = 'alice'`);

    const report = await detect();
    expect(brief(report.orphans)).toEqual([`policy-attachment iotp_alice ${identityId} detach`]);
    await repair('?dryRun=false');

    expect(t.aws.snapshot().policyAttachments).not.toContainEqual({ policyName: 'iotp_alice', target: identityId });
    expect((await admin(t).get('/v1/users/alice')).body).toMatchObject({ policyAttached: false });
  });

  it('is for admins only', async () => {
    expect((await t.http.get('/v1/admin/drift')).status).toBe(401);
    expect((await t.http.post('/v1/admin/drift/repair')).status).toBe(401);
  });
});
