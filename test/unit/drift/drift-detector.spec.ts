import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../../src/drift/drift-detector.js';
import type { AwsInventory, CertificateRow, DatabaseRecords, DeviceRow, UserRow } from '../../../src/drift/drift.types.js';
import { compileEntitlements } from '../../../src/policy/entitlements.js';

const BEFORE = new Date('2026-12-01T09:00:00Z');
const SCAN = new Date('2026-12-01T10:00:00Z');
const AFTER = new Date('2026-12-01T10:00:01Z');
const IDENTITY = 'eu-west-1:11111111-1111-4111-8111-111111111111';
const OTHER_IDENTITY = 'eu-west-1:22222222-2222-4222-8222-222222222222';

const certId = (n: number) => n.toString(16).padStart(64, '0');
const certArn = (n: number) => `arn:aws:iot:eu-west-1:123456789012:cert/${certId(n)}`;

/** alice with device scanner (certificate 1) and bob with no device, all in order on both sides. */
function world() {
  const users: UserRow[] = [
    {
      id: 'u-alice',
      username: 'alice',
      policyName: 'iotp_alice',
      identityId: IDENTITY,
      status: 'ACTIVE',
      policyAttached: true,
      driftDetectedAt: null,
      createdAt: BEFORE,
    },
    {
      id: 'u-bob',
      username: 'bob',
      policyName: 'iotp_bob',
      identityId: null,
      status: 'ACTIVE',
      policyAttached: false,
      driftDetectedAt: null,
      createdAt: BEFORE,
    },
  ];
  const devices: DeviceRow[] = [
    {
      id: 'd-scanner',
      name: 'scanner',
      owner: 'alice',
      ownerKind: 'user',
      thingName: 'iotp_alice_scanner',
      policyName: 'iotp_alice_scanner',
      driftDetectedAt: null,
      createdAt: BEFORE,
    },
  ];
  const certificates: CertificateRow[] = [
    {
      id: 'c-1',
      certificateId: certId(1),
      certificateArn: certArn(1),
      status: 'ACTIVE',
      thingName: 'iotp_alice_scanner',
      policyName: 'iotp_alice_scanner',
      owner: 'alice',
      ownerKind: 'user',
      device: 'scanner',
      driftDetectedAt: null,
      createdAt: BEFORE,
    },
  ];
  const aws: AwsInventory = {
    things: new Map([['iotp_alice_scanner', new Set([certArn(1)])]]),
    policies: new Map([
      ['iotp_alice', new Set([IDENTITY])],
      ['iotp_bob', new Set<string>()],
      ['iotp_alice_scanner', new Set([certArn(1)])],
    ]),
    certificates: new Map([[certId(1), { certificateId: certId(1), certificateArn: certArn(1), status: 'ACTIVE' as const }]]),
  };
  const db: DatabaseRecords = { users, devices, certificates, busySubjects: new Set(), pendingDeletions: new Set() };
  return { aws, db };
}

function detect({ aws, db }: ReturnType<typeof world>) {
  return detectDrift({ prefix: 'iotp', aws, db, scanStartedAt: SCAN });
}

const summary = (findings: Array<{ kind: string; name: string; target?: string; action: string }>) =>
  findings.map(({ kind, name, target, action }) => [kind, name, ...(target ? [target] : []), action].join(' '));

describe('detectDrift', () => {
  it('finds nothing when both sides agree', () => {
    const scan = detect(world());
    expect(scan).toMatchObject({ orphans: [], ghosts: [], unattachedCertificates: [], inProgress: [], staleMarks: [] });
    expect(scan.scanned).toEqual({ things: 1, policies: 3, certificates: 1 });
  });

  it('reports things and policies no row names as orphans, with owner, device and the subject a repair locks', () => {
    const w = world();
    w.aws.things.set('iotp_carol_probe', new Set());
    w.aws.policies.set('iotp_carol_probe', new Set());
    w.aws.policies.set('iotp_dave', new Set([OTHER_IDENTITY]));
    const { orphans } = detect(w);
    expect(summary(orphans)).toEqual(['policy iotp_carol_probe delete', 'policy iotp_dave delete', 'thing iotp_carol_probe delete']);
    expect(orphans[0]).toMatchObject({ owner: 'carol', device: 'probe', subject: 'device:iotp_carol_probe' });
    expect(orphans[1]).toMatchObject({ owner: 'dave', subject: 'user:dave' });
    expect(orphans[1]!.device).toBeUndefined();
  });

  it('reports a certificate on our thing or policy that no row has, and one on nothing of ours apart', () => {
    const w = world();
    w.aws.things.get('iotp_alice_scanner')!.add(certArn(2));
    w.aws.policies.get('iotp_alice_scanner')!.add(certArn(2));
    w.aws.certificates.set(certId(2), { certificateId: certId(2), certificateArn: certArn(2), status: 'ACTIVE' });
    w.aws.certificates.set(certId(3), { certificateId: certId(3), certificateArn: certArn(3), status: 'INACTIVE' });
    const scan = detect(w);
    expect(scan.orphans).toEqual([
      expect.objectContaining({
        kind: 'certificate',
        name: certId(2),
        certificateArn: certArn(2),
        attachedToThings: ['iotp_alice_scanner'],
        attachedToPolicies: ['iotp_alice_scanner'],
        action: 'delete',
        subject: 'device:iotp_alice_scanner',
      }),
    ]);
    expect(scan.unattachedCertificates).toEqual([
      expect.objectContaining({ kind: 'certificate', name: certId(3), status: 'INACTIVE', action: 'review', subject: `certificate:${certId(3)}` }),
    ]);
  });

  it('reports attachments that no row accounts for', () => {
    const w = world();
    w.db.devices.push({
      id: 'd-gate',
      name: 'gate',
      owner: 'bob',
      ownerKind: 'user',
      thingName: 'iotp_bob_gate',
      policyName: 'iotp_bob_gate',
      driftDetectedAt: null,
      createdAt: BEFORE,
    });
    w.db.certificates.push({
      ...w.db.certificates[0]!,
      id: 'c-4',
      certificateId: certId(4),
      certificateArn: certArn(4),
      thingName: 'iotp_bob_gate',
      policyName: 'iotp_bob_gate',
      owner: 'bob',
      ownerKind: 'user',
      device: 'gate',
    });
    w.aws.things.set('iotp_bob_gate', new Set([certArn(4)]));
    w.aws.policies.set('iotp_bob_gate', new Set([certArn(4)]));
    w.aws.certificates.set(certId(4), { certificateId: certId(4), certificateArn: certArn(4), status: 'ACTIVE' });
    // bob's certificate on alice's thing and policy; an identity on a thing; alice's policy on a certificate and a stranger's identity.
    w.aws.things.get('iotp_alice_scanner')!.add(certArn(4)).add(OTHER_IDENTITY);
    w.aws.policies.get('iotp_alice_scanner')!.add(certArn(4));
    w.aws.policies.get('iotp_alice')!.add(certArn(1)).add(OTHER_IDENTITY);
    expect(summary(detect(w).orphans)).toEqual([
      `policy-attachment iotp_alice ${certArn(1)} detach`,
      `policy-attachment iotp_alice ${OTHER_IDENTITY} detach`,
      `policy-attachment iotp_alice_scanner ${certArn(4)} detach`,
      `thing-principal iotp_alice_scanner ${certArn(4)} detach`,
      `thing-principal iotp_alice_scanner ${OTHER_IDENTITY} detach`,
    ]);
  });

  it("reports a disabled user's policy still attached to its identity", () => {
    const w = world();
    w.db.users[0]!.status = 'DISABLED';
    const [finding] = detect(w).orphans;
    expect(finding).toMatchObject({ kind: 'policy-attachment', name: 'iotp_alice', target: IDENTITY, action: 'detach', subject: 'user:alice' });
    expect(finding!.reason).toMatch(/disabled/);
  });

  it('reports rows whose resources AWS lacks as ghosts, naming the row to mark', () => {
    const w = world();
    w.aws.things.clear();
    w.aws.policies.delete('iotp_alice_scanner');
    w.aws.policies.delete('iotp_bob');
    w.aws.certificates.clear();
    w.db.devices[0]!.driftDetectedAt = BEFORE;
    const { ghosts, orphans } = detect(w);
    expect(orphans).toEqual([]);
    expect(summary(ghosts)).toEqual([
      `certificate ${certId(1)} mark`,
      'policy iotp_alice_scanner mark',
      'policy iotp_bob mark',
      'thing iotp_alice_scanner mark',
    ]);
    expect(ghosts.map((ghost) => ghost.record)).toEqual([
      { table: 'certificate', id: 'c-1', markedAt: null },
      { table: 'device', id: 'd-scanner', markedAt: BEFORE },
      { table: 'user', id: 'u-bob', markedAt: null },
      { table: 'device', id: 'd-scanner', markedAt: BEFORE },
    ]);
  });

  it('reports a recorded certificate that AWS has deactivated or detached', () => {
    const w = world();
    w.aws.certificates.get(certId(1))!.status = 'INACTIVE';
    w.aws.things.get('iotp_alice_scanner')!.clear();
    w.aws.policies.get('iotp_alice_scanner')!.clear();
    expect(summary(detect(w).ghosts)).toEqual([
      `policy-attachment iotp_alice_scanner ${certArn(1)} mark`,
      `thing-principal iotp_alice_scanner ${certArn(1)} mark`,
      `certificate ${certId(1)} mark`,
    ]);
  });

  it('resets a user row that claims an attachment AWS does not have', () => {
    const w = world();
    w.aws.policies.get('iotp_alice')!.clear();
    expect(detect(w).ghosts).toEqual([
      expect.objectContaining({
        kind: 'policy-attachment',
        name: 'iotp_alice',
        target: IDENTITY,
        action: 'reset',
        record: { table: 'user', id: 'u-alice', markedAt: null },
      }),
    ]);
  });

  it('does not judge rows created after the scan began, yet counts them as claims', () => {
    const w = world();
    w.db.devices.push({
      id: 'd-new',
      name: 'new',
      owner: 'bob',
      ownerKind: 'user',
      thingName: 'iotp_bob_new',
      policyName: 'iotp_bob_new',
      driftDetectedAt: null,
      createdAt: AFTER,
    });
    w.aws.things.set('iotp_bob_old', new Set());
    w.db.devices.push({
      id: 'd-old',
      name: 'old',
      owner: 'bob',
      ownerKind: 'user',
      thingName: 'iotp_bob_old',
      policyName: 'iotp_bob_old',
      driftDetectedAt: null,
      createdAt: AFTER,
    });
    const scan = detect(w);
    expect(scan.ghosts).toEqual([]);
    expect(scan.orphans).toEqual([]);
  });

  it('leaves alone what a running operation is changing, and says so', () => {
    const w = world();
    w.aws.things.set('iotp_carol_probe', new Set([certArn(5)]));
    w.aws.policies.set('iotp_dave', new Set());
    w.aws.things.delete('iotp_alice_scanner');
    w.db.busySubjects.add('device:iotp_carol_probe').add('user:dave').add('user:alice');
    const scan = detect(w);
    expect(scan.orphans).toEqual([]);
    expect(scan.ghosts).toEqual([]);
    expect(scan.inProgress).toEqual(['iotp_alice', 'iotp_alice_scanner', 'iotp_carol_probe', 'iotp_dave']);
  });

  it('reports a policy whose deletion waits on AWS as pending deletion, not as an orphan', () => {
    const w = world();
    w.aws.policies.set('iotp_dave', new Set());
    w.aws.policies.set('iotp_carol_probe', new Set());
    w.db.busySubjects.add('user:dave');
    w.db.pendingDeletions.add('iotp_dave');
    const scan = detect(w);
    expect(summary(scan.orphans)).toEqual(['policy iotp_carol_probe delete']);
    expect(scan.pendingDeletion).toEqual(['iotp_dave']);
    expect(scan.inProgress).toEqual([]);
  });

  it('reports pool users the service made that no row claims; leaves those without its marker, and those a creation is making', () => {
    const w = world();
    const poolUser = (username: string, userId?: string) => ({
      username,
      sub: `sub-${username}`,
      status: 'CONFIRMED',
      enabled: true,
      createdAt: BEFORE,
      ...(userId ? { userId } : {}),
    });
    w.aws.poolUsers = [poolUser('alice', 'u-alice'), poolUser('mallory', 'u-mallory'), poolUser('console-admin'), poolUser('dora', 'u-dora')];
    w.db.busySubjects.add('user:dora');
    const scan = detect(w);
    expect(scan.orphans).toEqual([
      {
        kind: 'pool-user',
        name: 'mallory',
        owner: 'mallory',
        userId: 'u-mallory',
        reason: 'A Cognito user this service created (custom:iotp_user_id u-mallory) that no user record has',
        action: 'delete',
        subject: 'user:mallory',
      },
    ]);
    expect(scan.inProgress).toEqual(['dora']);
  });

  it('lists marks on rows that are no longer ghosts, so repair can clear them', () => {
    const w = world();
    w.db.users[1]!.driftDetectedAt = BEFORE;
    w.db.certificates[0]!.driftDetectedAt = BEFORE;
    expect(detect(w).staleMarks).toEqual([
      { table: 'user', id: 'u-bob' },
      { table: 'certificate', id: 'c-1' },
    ]);
  });

  describe("a site member's further policies", () => {
    const scope = { region: 'eu-west-1', accountId: '123456789012' };
    /** Enough sites with long names that alice's policies spill over into a second slot. */
    const sites = Array.from({ length: 12 }, (_, i) => ({ site: `hall-${String(i).padStart(2, '0')}-${'x'.repeat(30)}`, role: 'member' as const }));
    const compiled = () => compileEntitlements({ scope, prefix: 'iotp', username: 'alice', sites });

    /** The world, alice in those sites, and AWS holding exactly what they compile to, on her identity. */
    function member() {
      const w = world();
      w.db.users[0]!.sites = sites;
      w.aws.documents = new Map();
      for (const policy of compiled()) {
        w.aws.policies.set(policy.policyName, new Set([IDENTITY]));
        w.aws.documents.set(policy.policyName, { document: policy.text, defaultVersionId: '1', otherVersionIds: [] });
      }
      return w;
    }
    const detectWithScope = (w: ReturnType<typeof world>) => detectDrift({ prefix: 'iotp', aws: w.aws, db: w.db, scanStartedAt: SCAN, scope });

    it('finds nothing when AWS holds every policy the memberships compile to, each on the identity', () => {
      expect(compiled().map((policy) => policy.policyName)).toEqual(['iotp_alice', 'iotp_alice.2']);
      expect(detectWithScope(member())).toMatchObject({ orphans: [], ghosts: [], changedPolicies: [], inProgress: [] });
    });

    it('reports a further policy AWS lacks, for repair to create again under the user lock', () => {
      const w = member();
      w.aws.policies.delete('iotp_alice.2');
      w.aws.documents!.delete('iotp_alice.2');
      expect(detectWithScope(w).ghosts).toEqual([
        expect.objectContaining({ kind: 'policy', name: 'iotp_alice.2', owner: 'alice', action: 'recreate', subject: 'user:alice' }),
      ]);
    });

    it('resets the record when a further policy is off the identity the record says holds them all', () => {
      const w = member();
      w.aws.policies.set('iotp_alice.2', new Set());
      expect(summary(detectWithScope(w).ghosts)).toEqual([`policy-attachment iotp_alice.2 ${IDENTITY} reset`]);
    });

    it('reports a further policy no membership needs (more slots than the sites take, or no such user) as an orphan', () => {
      const w = member();
      w.aws.policies.set('iotp_alice.3', new Set([IDENTITY]));
      w.aws.policies.set('iotp_zoe.2', new Set());
      const { orphans } = detectWithScope(w);
      expect(summary(orphans)).toEqual(['policy iotp_alice.3 delete', 'policy iotp_zoe.2 delete']);
      expect(orphans[0]).toMatchObject({ owner: 'alice', subject: 'user:alice', reason: expect.stringContaining('slot 3') });
    });

    it('compares every slot with its compiled document, and detaches a further policy from an identity not the user', () => {
      const w = member();
      const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });
      w.aws.documents!.set('iotp_alice.2', { document: wide, defaultVersionId: '2', otherVersionIds: ['1'] });
      w.aws.policies.get('iotp_alice.2')!.add(OTHER_IDENTITY);
      const scan = detectWithScope(w);
      expect(scan.changedPolicies).toEqual([
        expect.objectContaining({ name: 'iotp_alice.2', owner: 'alice', action: 'restore', expectedDocument: compiled()[1]!.text }),
      ]);
      expect(summary(scan.orphans)).toEqual([`policy-attachment iotp_alice.2 ${OTHER_IDENTITY} detach`]);
    });

    it("detaches a disabled member's further policies from the identity, as the first", () => {
      const w = member();
      w.db.users[0]!.status = 'DISABLED';
      w.db.users[0]!.policyAttached = false;
      expect(summary(detectWithScope(w).orphans)).toEqual([
        `policy-attachment iotp_alice ${IDENTITY} detach`,
        `policy-attachment iotp_alice.2 ${IDENTITY} detach`,
      ]);
    });

    it('leaves them alone while a change of the user runs', () => {
      const w = member();
      w.aws.policies.delete('iotp_alice.2');
      w.aws.policies.set('iotp_alice.3', new Set());
      w.db.busySubjects.add('user:alice');
      const scan = detectWithScope(w);
      expect([...scan.orphans, ...scan.ghosts]).toEqual([]);
      expect(scan.inProgress).toEqual(expect.arrayContaining(['iotp_alice', 'iotp_alice.3']));
    });
  });
});
