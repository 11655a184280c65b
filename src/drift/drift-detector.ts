import { isDeepStrictEqual } from 'node:util';
import { certificateIdOf } from '../aws/iot-teardown.js';
import { devicePolicyDocument, renderPolicy, userPolicyDocument, type PolicyScope } from '../policy/documents.js';
import { certificateSubject } from '../operations/subjects.js';
import { ownerOf, subjectsOf, unclaimedPolicyTarget, unclaimedThingPrincipal, type PolicyClaim } from './drift-rules.js';
import type { AwsInventory, CertificateRow, DatabaseRecords, DeviceRow, DriftScan, Finding, RecordRef, UserRow } from './drift.types.js';

export interface DetectionInput {
  prefix: string;
  aws: AwsInventory;
  db: DatabaseRecords;
  /**
   * When the AWS listing began. Only rows created before it are judged as ghosts: a row inserted
   * later may name a resource created after its list page was read. Every row counts as a claim.
   */
  scanStartedAt: Date;
  /** The account and region the expected policy documents name; without it documents are not compared. */
  scope?: PolicyScope;
}

/** Findings are listed, and orphans repaired, in AWS's delete order: links first, then certificates, policies, things. */
const KIND_ORDER = ['policy-attachment', 'thing-principal', 'certificate', 'policy', 'thing', 'policy-document'];

/** Compares the two sides; pure, so every rule is tested without AWS or a database. */
export function detectDrift(input: DetectionInput): DriftScan {
  return new Detection(input).run();
}

class Detection {
  private readonly orphans: Finding[] = [];
  private readonly ghosts: Finding[] = [];
  private readonly unattached: Finding[] = [];
  private readonly changed: Finding[] = [];
  private readonly inProgress = new Set<string>();
  private readonly pendingDeletion = new Set<string>();
  private readonly ghostRows = new Set<string>();
  private readonly devicesByThing: Map<string, DeviceRow>;
  private readonly policyClaims = new Map<string, PolicyClaim>();
  private readonly certificateRows: Map<string, CertificateRow>;

  constructor(private readonly input: DetectionInput) {
    const { users, devices, certificates } = input.db;
    this.devicesByThing = new Map(devices.map((device) => [device.thingName, device]));
    for (const user of users) this.policyClaims.set(user.policyName, { kind: 'user', identityId: user.identityId, status: user.status });
    for (const device of devices) this.policyClaims.set(device.policyName, { kind: 'device', thingName: device.thingName });
    this.certificateRows = new Map(certificates.map((row) => [row.certificateId, row]));
  }

  run(): DriftScan {
    const { aws, db, prefix, scanStartedAt } = this.input;
    this.orphanThingsAndPolicies();
    this.certificatesOnOurs();
    this.unaccountedAttachments();
    db.devices.forEach((device) => this.deviceGhosts(device));
    db.certificates.forEach((row) => this.certificateGhosts(row));
    db.users.forEach((user) => this.userGhosts(user));
    this.changedDocuments();
    return {
      scannedAt: scanStartedAt,
      prefix,
      scanned: { things: aws.things.size, policies: aws.policies.size, certificates: aws.certificates.size },
      orphans: sorted(this.orphans),
      ghosts: sorted(this.ghosts),
      unattachedCertificates: sorted(this.unattached),
      changedPolicies: sorted(this.changed),
      inProgress: [...this.inProgress].sort(),
      pendingDeletion: [...this.pendingDeletion].sort(),
      staleMarks: this.staleMarks(),
    };
  }

  private orphanThingsAndPolicies(): void {
    for (const thingName of this.input.aws.things.keys()) {
      if (this.devicesByThing.has(thingName) || this.busy(thingName)) continue;
      this.orphan({ kind: 'thing', name: thingName, reason: 'No device record has this thing name', action: 'delete' });
    }
    for (const policyName of this.input.aws.policies.keys()) {
      // Its deletion is scheduled and recovery finishes it; a repair would only race it.
      if (this.input.db.pendingDeletions.has(policyName)) {
        this.pendingDeletion.add(policyName);
        continue;
      }
      if (this.policyClaims.has(policyName) || this.busy(policyName)) continue;
      this.orphan({ kind: 'policy', name: policyName, reason: 'No user or device record has this policy name', action: 'delete' });
    }
  }

  /**
   * Certificates attached to our things or policies that no row has: orphans. Certificates attached
   * to none of ours and in no row: listed apart, because in a shared account nothing tells whether
   * one is a leftover of ours (a process that died between CreateCertificateFromCsr and recording
   * it) or another application's certificate that it has not attached yet. Deleting the latter would
   * break someone else's device, so repair removes them only when explicitly asked.
   */
  private certificatesOnOurs(): void {
    const { aws } = this.input;
    const attached = new Map<string, { arn: string; things: string[]; policies: string[] }>();
    const collect = (side: 'things' | 'policies', name: string, principals: Set<string>) => {
      for (const arn of principals) {
        const id = certificateIdOf(arn);
        if (!id) continue;
        const entry = attached.get(id) ?? { arn, things: [], policies: [] };
        entry[side].push(name);
        attached.set(id, entry);
      }
    };
    for (const [name, principals] of aws.things) collect('things', name, principals);
    for (const [name, targets] of aws.policies) collect('policies', name, targets);
    for (const [id, { arn, things, policies }] of attached) {
      const names = [...new Set([...things, ...policies])].sort();
      // Every name is checked, so each busy one is reported as in progress.
      if (this.certificateRows.has(id) || names.map((name) => this.busy(name)).some(Boolean)) continue;
      this.orphan(
        {
          kind: 'certificate',
          name: id,
          certificateArn: arn,
          attachedToThings: things.sort(),
          attachedToPolicies: policies.sort(),
          status: aws.certificates.get(id)?.status,
          reason: `Attached to ${names.join(', ')} but no certificate record has this id`,
          action: 'delete',
        },
        names[0]!,
      );
    }
    for (const [id, certificate] of aws.certificates) {
      if (this.certificateRows.has(id) || attached.has(id)) continue;
      this.unattached.push({
        kind: 'certificate',
        name: id,
        certificateArn: certificate.certificateArn,
        status: certificate.status,
        reason:
          "In no certificate record and attached to none of our things or policies: issued by a certificate creation whose answer was lost (generated keys cannot be matched to their request), a leftover of an interrupted registration, or another application's",
        action: 'review',
        subject: certificateSubject(id),
      });
    }
  }

  /** Attachments between resources the rows do claim, which the rows do not account for. */
  private unaccountedAttachments(): void {
    const { aws } = this.input;
    for (const [thingName, principals] of aws.things) {
      if (!this.devicesByThing.has(thingName) || this.busy(thingName)) continue;
      for (const principal of principals) {
        if (this.isUnrecordedCertificate(principal)) continue; // reported above, as a certificate
        const reason = unclaimedThingPrincipal(thingName, principal, this.claimOf(principal));
        if (reason) this.orphan({ kind: 'thing-principal', name: thingName, target: principal, reason, action: 'detach' });
      }
    }
    for (const [policyName, targets] of aws.policies) {
      const claim = this.policyClaims.get(policyName);
      if (!claim || this.busy(policyName)) continue;
      for (const target of targets) {
        if (this.isUnrecordedCertificate(target)) continue;
        const reason = unclaimedPolicyTarget(claim, policyName, target, this.claimOf(target));
        if (reason) this.orphan({ kind: 'policy-attachment', name: policyName, target, reason, action: 'detach' });
      }
    }
  }

  private deviceGhosts(device: DeviceRow): void {
    if (!this.judged(device) || this.busy(device.thingName)) return;
    const { things, policies } = this.input.aws;
    const record = { table: 'device' as const, id: device.id, markedAt: device.driftDetectedAt };
    const whose = { owner: device.owner, device: device.name, record };
    if (!things.has(device.thingName))
      this.ghost({ kind: 'thing', name: device.thingName, ...whose, reason: 'The device record names a thing AWS does not have', action: 'mark' });
    if (!policies.has(device.policyName))
      this.ghost({ kind: 'policy', name: device.policyName, ...whose, reason: 'The device record names a policy AWS does not have', action: 'mark' });
  }

  private certificateGhosts(row: CertificateRow): void {
    if (!this.judged(row) || this.busy(row.thingName)) return;
    const { things, policies, certificates } = this.input.aws;
    const base = {
      owner: row.owner,
      device: row.device,
      record: { table: 'certificate' as const, id: row.id, markedAt: row.driftDetectedAt },
      action: 'mark' as const,
    };
    const inAws = certificates.get(row.certificateId);
    if (!inAws) {
      this.ghost({
        ...base,
        kind: 'certificate',
        name: row.certificateId,
        certificateArn: row.certificateArn,
        reason: 'AWS does not have this certificate',
      });
      return;
    }
    if (row.status !== 'ACTIVE') return; // revocation detaches first; an inactive certificate may be off its thing
    if (inAws.status !== 'ACTIVE') {
      this.ghost({
        ...base,
        kind: 'certificate',
        name: row.certificateId,
        certificateArn: row.certificateArn,
        status: inAws.status,
        reason: `The record says ACTIVE; AWS has it ${inAws.status}`,
      });
    }
    const on = { target: row.certificateArn };
    if (things.get(row.thingName)?.has(row.certificateArn) === false) {
      this.ghost({ ...base, ...on, kind: 'thing-principal', name: row.thingName, reason: "The certificate is not attached to its device's thing" });
    }
    if (policies.get(row.policyName)?.has(row.certificateArn) === false) {
      this.ghost({
        ...base,
        ...on,
        kind: 'policy-attachment',
        name: row.policyName,
        reason: 'The device policy is not attached to this certificate',
      });
    }
  }

  private userGhosts(user: UserRow): void {
    if (!this.judged(user) || this.busy(user.policyName)) return;
    const record = { table: 'user' as const, id: user.id, markedAt: user.driftDetectedAt };
    const targets = this.input.aws.policies.get(user.policyName);
    if (!targets) {
      this.ghost({
        kind: 'policy',
        name: user.policyName,
        owner: user.username,
        record,
        reason: 'The user record names a policy AWS does not have',
        action: 'mark',
      });
    } else if (user.status === 'ACTIVE' && user.policyAttached && user.identityId && !targets.has(user.identityId)) {
      // The next sign-in would skip attaching, so the app gets credentials that MQTT refuses.
      this.ghost({
        kind: 'policy-attachment',
        name: user.policyName,
        target: user.identityId,
        owner: user.username,
        record,
        reason: 'The user record says the policy is attached to its identity; AWS has no such attachment',
        action: 'reset',
      });
    }
  }

  /**
   * Each claimed policy's default version against the document this service would write, as
   * parsed JSON (AWS may reformat whitespace; key order does not matter). A version set as default
   * by hand, `iot:*` on `*` say, grants what the service never meant to.
   */
  private changedDocuments(): void {
    const { scope, aws, prefix } = this.input;
    if (!scope || !aws.documents) return;
    const expected: Array<{ policyName: string; owner: string; device?: string; row: { createdAt: Date }; document: () => string }> = [
      ...this.input.db.users.map((user) => ({
        policyName: user.policyName,
        owner: user.username,
        row: user,
        document: () => renderPolicy(userPolicyDocument(scope, user.username)),
      })),
      ...this.input.db.devices.map((device) => ({
        policyName: device.policyName,
        owner: device.owner,
        device: device.name,
        row: device,
        document: () => renderPolicy(devicePolicyDocument(scope, prefix, device.owner, device.name)),
      })),
    ];
    for (const { policyName, owner, device, row, document } of expected) {
      const held = aws.documents.get(policyName);
      if (!held || !this.judged(row) || this.busy(policyName)) continue;
      const wanted = document();
      if (sameDocument(held.document, wanted)) continue;
      this.changed.push({
        kind: 'policy-document',
        name: policyName,
        owner,
        ...(device ? { device } : {}),
        reason: `policy document differs: the default version (${held.defaultVersionId}) is not the document this service generates`,
        action: 'restore',
        awsDocument: held.document,
        defaultVersionId: held.defaultVersionId,
        expectedDocument: wanted,
        otherVersionIds: held.otherVersionIds,
        subject: subjectsOf(prefix, policyName)[0],
      });
    }
  }

  private staleMarks(): RecordRef[] {
    const { users, devices, certificates } = this.input.db;
    const rows = [
      ...users.map((row) => ({ table: 'user' as const, row, name: row.policyName })),
      ...devices.map((row) => ({ table: 'device' as const, row, name: row.thingName })),
      ...certificates.map((row) => ({ table: 'certificate' as const, row, name: row.thingName })),
    ];
    return rows
      .filter(
        ({ table, row, name }) => row.driftDetectedAt !== null && this.judged(row) && !this.ghostRows.has(`${table}:${row.id}`) && !this.busy(name),
      )
      .map(({ table, row }) => ({ table, id: row.id }));
  }

  private orphan(finding: Omit<Finding, 'subject'>, subjectName = finding.name): void {
    const { prefix } = this.input;
    this.orphans.push({ ...ownerOf(prefix, subjectName), ...finding, subject: subjectsOf(prefix, subjectName)[0] });
  }

  private ghost(finding: Finding): void {
    this.ghosts.push(finding);
    if (finding.record) this.ghostRows.add(`${finding.record.table}:${finding.record.id}`);
  }

  /** True, and remembered for the report, when an operation on the name's device or owner is running. */
  private busy(name: string): boolean {
    const busy = subjectsOf(this.input.prefix, name).some((subject) => this.input.db.busySubjects.has(subject));
    if (busy) this.inProgress.add(name);
    return busy;
  }

  private judged(row: { createdAt: Date }): boolean {
    return row.createdAt < this.input.scanStartedAt;
  }

  private isUnrecordedCertificate(principal: string): boolean {
    const id = certificateIdOf(principal);
    return id !== undefined && !this.certificateRows.has(id);
  }

  private claimOf(principal: string): CertificateRow | undefined {
    const id = certificateIdOf(principal);
    return id === undefined ? undefined : this.certificateRows.get(id);
  }
}

function sorted(findings: Finding[]): Finding[] {
  const key = (finding: Finding) => [KIND_ORDER.indexOf(finding.kind), finding.name, finding.target ?? ''] as const;
  return [...findings].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || ka[1].localeCompare(kb[1]) || ka[2].localeCompare(kb[2]);
  });
}

function sameDocument(held: string, wanted: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(held), JSON.parse(wanted));
  } catch {
    return false; // AWS holds only valid JSON; text that does not parse is not ours
  }
}
