import { isDeepStrictEqual } from 'node:util';
import { certificateIdOf } from '../aws/iot-teardown.js';
import type { CertificateStatus } from '../aws/iot.port.js';
import { USER_ID_ATTRIBUTE } from '../aws/user-pool.port.js';
import { devicePolicyDocument, renderPolicy, siteDevicePolicyDocument, type PolicyScope } from '../policy/documents.js';
import { userSubject } from '../operations/subjects.js';
import { DriftFindings } from './drift-findings.js';
import {
  expectedPolicies,
  policySlot,
  subjectsOf,
  unclaimedPolicyTarget,
  unclaimedThingPrincipal,
  type CertificateClaim,
  type ExpectedPolicy,
  type PolicyClaim,
} from './drift-rules.js';
import type {
  AwsCertificate,
  AwsInventory,
  CertificateRow,
  DatabaseRecords,
  DeviceRow,
  DriftScan,
  Finding,
  OwnerKind,
  UserRow,
} from './drift.types.js';

export interface DetectionInput {
  prefix: string;
  aws: AwsInventory;
  db: DatabaseRecords;
  /**
   * When the scan began. Only rows created before it are judged as ghosts: a row inserted later may
   * name a resource created after its AWS side was read. Every row counts as a claim.
   */
  scanStartedAt: Date;
  /** The account and region the expected policy documents name; without it documents are not compared. */
  scope?: PolicyScope;
}

/** What is known of one recorded certificate in AWS. */
export interface CertificateFacts {
  /** False: AWS does not have it. */
  inAws: boolean;
  /** Its status in AWS; undefined: not known where it is judged (a streamed scan reads it from the listing). */
  status?: CertificateStatus;
  /** Whether its device's thing, and its device's policy, list it; undefined: that thing or policy is gone, or not judged here. */
  onThing?: boolean;
  onPolicy?: boolean;
}

/** Whether a certificate is on its device's thing and policy, as a slice saw them. */
export type CertificateAttachments = Pick<CertificateFacts, 'onThing' | 'onPolicy'>;

export interface SliceOptions {
  /**
   * Given, the slice does not know the certificates' statuses (a streamed scan lists them after the
   * rows): it judges the attachments of each certificate it sees attached (an attachment shows AWS
   * has it), and hands the others (attached nowhere, or not ACTIVE in their row) to `defer`, to be
   * judged once the listing says whether AWS has them.
   */
  defer?(row: CertificateRow, attachments: CertificateAttachments): void;
}

/** Compares the two sides at once (the scan feeds the same rules slice by slice: drift-scanner.ts); pure, so every rule is tested without AWS or a database. */
export function detectDrift(input: DetectionInput): DriftScan {
  const findings = new DriftFindings(input.prefix, input.scanStartedAt);
  const rules = new DriftRules(input, findings);
  rules.judgeAll();
  for (const certificate of input.aws.certificates.values()) rules.listedCertificate(certificate, true);
  const { things, policies, certificates } = input.aws;
  return findings.result({ things: things.size, policies: policies.size, certificates: certificates.size });
}

/**
 * The rules, over one slice of the scan: the AWS side of some names and the rows that claim them
 * (or all of both, in detectDrift). What they find goes to `findings`, which spans slices.
 */
export class DriftRules {
  private readonly devicesByThing: Map<string, DeviceRow>;
  private readonly policyClaims = new Map<string, PolicyClaim>();
  /** Each user row's policies as their memberships compile (by row id); undefined: not known, so only slot 1 is judged, by name. */
  private readonly expected = new Map<string, ExpectedPolicy[] | undefined>();
  /** Users whose further policies are not known here: none of theirs is an orphan. */
  private readonly slotsUnknown = new Set<string>();
  private readonly certificateRows: Map<string, CertificateRow>;
  private readonly certificateClaims: Map<string, CertificateClaim>;

  constructor(
    private readonly input: DetectionInput,
    private readonly findings: DriftFindings,
    private readonly options: SliceOptions = {},
  ) {
    const { users, devices, certificates } = input.db;
    this.devicesByThing = new Map(devices.map((device) => [device.thingName, device]));
    for (const user of users) {
      const policies = this.compile(user);
      this.expected.set(user.id, policies);
      if (!policies) this.slotsUnknown.add(user.username);
      const claim = { kind: 'user' as const, identityId: user.identityId, status: user.status };
      for (const { policyName } of policies ?? [{ policyName: user.policyName }]) this.policyClaims.set(policyName, claim);
    }
    for (const device of devices) this.policyClaims.set(device.policyName, { kind: 'device', thingName: device.thingName });
    this.certificateRows = new Map(certificates.map((row) => [row.certificateId, row]));
    this.certificateClaims = input.db.certificateClaims ?? new Map();
  }

  /** Every rule over the slice. */
  judgeAll(): void {
    const { db } = this.input;
    this.orphanThingsAndPolicies();
    this.certificatesOnOurs();
    this.unaccountedAttachments();
    db.devices.forEach((device) => this.deviceGhosts(device));
    db.certificates.forEach((row) => this.certificateRow(row));
    db.users.forEach((user) => this.userGhosts(user));
    this.changedDocuments();
    this.unclaimedPoolUsers();
    this.markedRows();
  }

  /** A certificate AWS lists: no row claims it and it is attached to ours (an orphan's status), or attached to nothing of ours. */
  listedCertificate(certificate: AwsCertificate, reportUnattached: boolean): void {
    const id = certificate.certificateId;
    if (this.certificateRows.has(id) || this.certificateClaims.has(id)) return;
    this.findings.unclaimedListed(certificate, reportUnattached);
  }

  /** A recorded certificate against what AWS has: gone, deactivated, or off its device's thing or policy. */
  judgeCertificate(row: CertificateRow, facts: CertificateFacts): void {
    if (!this.judged(row) || this.busy(row.thingName)) return;
    const base = {
      ...ownerFields(row),
      device: row.device,
      record: { table: 'certificate' as const, id: row.id, markedAt: row.driftDetectedAt },
      action: 'mark' as const,
    };
    if (!facts.inAws) {
      this.findings.ghost({
        ...base,
        kind: 'certificate',
        name: row.certificateId,
        certificateArn: row.certificateArn,
        reason: 'AWS does not have this certificate',
      });
      return;
    }
    if (row.status !== 'ACTIVE') return; // revocation detaches first; an inactive certificate may be off its thing
    if (facts.status !== undefined && facts.status !== 'ACTIVE') {
      this.findings.ghost({
        ...base,
        kind: 'certificate',
        name: row.certificateId,
        certificateArn: row.certificateArn,
        status: facts.status,
        reason: `The record says ACTIVE; AWS has it ${facts.status}`,
      });
    }
    const on = { target: row.certificateArn };
    if (facts.onThing === false) {
      this.findings.ghost({
        ...base,
        ...on,
        kind: 'thing-principal',
        name: row.thingName,
        reason: "The certificate is not attached to its device's thing",
      });
    }
    if (facts.onPolicy === false) {
      this.findings.ghost({
        ...base,
        ...on,
        kind: 'policy-attachment',
        name: row.policyName,
        reason: 'The device policy is not attached to this certificate',
      });
    }
  }

  private orphanThingsAndPolicies(): void {
    for (const thingName of this.input.aws.things.keys()) {
      if (this.devicesByThing.has(thingName) || this.busy(thingName)) continue;
      this.findings.orphan({ kind: 'thing', name: thingName, reason: 'No device record has this thing name', action: 'delete' });
    }
    for (const policyName of this.input.aws.policies.keys()) {
      // Its deletion is scheduled and recovery finishes it; a repair would only race it.
      if (this.input.db.pendingDeletions.has(policyName)) {
        this.findings.pending(policyName);
        continue;
      }
      if (this.policyClaims.has(policyName) || this.busy(policyName)) continue;
      const slot = policySlot(this.input.prefix, policyName);
      if (slot && this.slotsUnknown.has(slot.username)) continue;
      const reason = slot
        ? `No user record needs this policy: user ${slot.username} is not in sites that need a policy slot ${slot.slot}`
        : 'No user or device record has this policy name';
      this.findings.orphan({ kind: 'policy', name: policyName, reason, action: 'delete' });
    }
  }

  /**
   * Certificates attached to our things or policies that no row has: orphans (put together across
   * slices by DriftFindings). Certificates attached to none of ours and in no row are listed apart
   * (listedCertificate), because in a shared account nothing tells whether one is a leftover of ours
   * (a process that died between CreateCertificateFromCsr and recording it) or another application's
   * certificate that it has not attached yet. Deleting the latter would break someone else's device,
   * so repair removes them only when explicitly asked.
   */
  private certificatesOnOurs(): void {
    const { aws } = this.input;
    const collect = (side: 'things' | 'policies', name: string, principals: Set<string>) => {
      for (const arn of principals) {
        const id = certificateIdOf(arn);
        if (!id || this.certificateRows.has(id) || this.certificateClaims.has(id)) continue;
        // Every name is checked, so each busy one is reported as in progress.
        this.findings.attachedUnrecorded(id, arn, side, name, this.busy(name));
      }
    };
    for (const [name, principals] of aws.things) collect('things', name, principals);
    for (const [name, targets] of aws.policies) collect('policies', name, targets);
  }

  /** Attachments between resources the rows do claim, which the rows do not account for. */
  private unaccountedAttachments(): void {
    const { aws } = this.input;
    for (const [thingName, principals] of aws.things) {
      if (!this.devicesByThing.has(thingName) || this.busy(thingName)) continue;
      for (const principal of principals) {
        if (this.isUnrecordedCertificate(principal)) continue; // reported as a certificate
        const reason = unclaimedThingPrincipal(thingName, principal, this.claimOf(principal));
        if (reason) this.findings.orphan({ kind: 'thing-principal', name: thingName, target: principal, reason, action: 'detach' });
      }
    }
    for (const [policyName, targets] of aws.policies) {
      const claim = this.policyClaims.get(policyName);
      if (!claim || this.busy(policyName)) continue;
      for (const target of targets) {
        if (this.isUnrecordedCertificate(target)) continue;
        const reason = unclaimedPolicyTarget(claim, policyName, target, this.claimOf(target));
        if (reason) this.findings.orphan({ kind: 'policy-attachment', name: policyName, target, reason, action: 'detach' });
      }
    }
  }

  private deviceGhosts(device: DeviceRow): void {
    if (!this.judged(device) || this.busy(device.thingName)) return;
    const { things, policies } = this.input.aws;
    const record = { table: 'device' as const, id: device.id, markedAt: device.driftDetectedAt };
    const whose = { ...ownerFields(device), device: device.name, record };
    if (!things.has(device.thingName))
      this.findings.ghost({
        kind: 'thing',
        name: device.thingName,
        ...whose,
        reason: 'The device record names a thing AWS does not have',
        action: 'mark',
      });
    if (!policies.has(device.policyName))
      this.findings.ghost({
        kind: 'policy',
        name: device.policyName,
        ...whose,
        reason: 'The device record names a policy AWS does not have',
        action: 'mark',
      });
  }

  private certificateRow(row: CertificateRow): void {
    const { things, policies, certificates } = this.input.aws;
    const facts: CertificateAttachments = {
      onThing: things.get(row.thingName)?.has(row.certificateArn),
      onPolicy: policies.get(row.policyName)?.has(row.certificateArn),
    };
    const defer = this.options.defer;
    if (!defer) {
      const inAws = certificates.get(row.certificateId);
      this.judgeCertificate(row, { ...facts, inAws: inAws !== undefined, status: inAws?.status });
      return;
    }
    if (!this.judged(row) || this.busy(row.thingName)) return;
    // AWS refuses to delete an attached certificate, so one attached is in AWS; its status comes with the listing.
    if (row.status === 'ACTIVE' && (facts.onThing || facts.onPolicy)) this.judgeCertificate(row, { ...facts, inAws: true });
    else defer(row, facts);
  }

  private userGhosts(user: UserRow): void {
    if (!this.judged(user) || this.busy(user.policyName)) return;
    for (const policy of this.expected.get(user.id)?.slice(1) ?? []) this.slotGhosts(user, policy);
    const record = { table: 'user' as const, id: user.id, markedAt: user.driftDetectedAt };
    const targets = this.input.aws.policies.get(user.policyName);
    if (!targets) {
      this.findings.ghost({
        kind: 'policy',
        name: user.policyName,
        owner: user.username,
        record,
        reason: 'The user record names a policy AWS does not have',
        action: 'mark',
      });
    } else if (user.status === 'ACTIVE' && user.policyAttached && user.identityId && !targets.has(user.identityId)) {
      // The next sign-in would skip attaching, so the app gets credentials that MQTT refuses.
      this.findings.ghost({
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
   * A further policy the user's sites need: AWS must have it (a membership change creates it), and,
   * once the user's record says their policies are attached, hold it on their identity too.
   */
  private slotGhosts(user: UserRow, policy: ExpectedPolicy): void {
    const targets = this.input.aws.policies.get(policy.policyName);
    if (!targets) {
      this.findings.ghost({
        kind: 'policy',
        name: policy.policyName,
        owner: user.username,
        reason: `The user's sites need this policy (slot ${policy.slot}); AWS does not have it`,
        action: 'recreate',
        subject: userSubject(user.username),
      });
    } else if (user.status === 'ACTIVE' && user.policyAttached && user.identityId && !targets.has(user.identityId)) {
      this.findings.ghost({
        kind: 'policy-attachment',
        name: policy.policyName,
        target: user.identityId,
        owner: user.username,
        record: { table: 'user', id: user.id, markedAt: user.driftDetectedAt },
        reason: "The user record says the user's policies are attached to its identity; AWS has not attached this one",
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
    const expected: Array<{
      policyName: string;
      owner: Pick<Finding, 'owner' | 'site'>;
      device?: string;
      row: { createdAt: Date };
      document: () => string;
    }> = [
      // Every policy of the user as their memberships compile, slot 1 included (their own grant, plus the sites packed into it).
      ...this.input.db.users.flatMap((user) =>
        (this.expected.get(user.id) ?? []).map((policy) => ({
          policyName: policy.policyName,
          owner: { owner: user.username },
          row: user,
          document: () => policy.text,
        })),
      ),
      ...this.input.db.devices.map((device) => ({
        policyName: device.policyName,
        owner: ownerFields(device),
        device: device.name,
        row: device,
        document: () =>
          renderPolicy(
            device.ownerKind === 'site'
              ? siteDevicePolicyDocument(scope, prefix, device.owner, device.name)
              : devicePolicyDocument(scope, prefix, device.owner, device.name),
          ),
      })),
    ];
    for (const { policyName, owner, device, row, document } of expected) {
      const held = aws.documents.get(policyName);
      if (!held || !this.judged(row) || this.busy(policyName)) continue;
      const wanted = document();
      if (sameDocument(held.document, wanted)) continue;
      this.findings.changedPolicy({
        kind: 'policy-document',
        name: policyName,
        ...owner,
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

  /**
   * Pool users the service created (they carry USER_ID_ATTRIBUTE) that no row claims: an
   * AdminCreateUser whose answer was lost and whose undo never ran, say. A row of the same username
   * claims its pool user whatever the marker says. Users without the marker were made outside the
   * service (administrators sign in with pool users that have no row) and are never compared.
   */
  private unclaimedPoolUsers(): void {
    const claimed = new Set([...this.input.db.users.map((user) => user.username), ...(this.input.db.usernames ?? [])]);
    for (const user of this.input.aws.poolUsers ?? []) {
      if (user.userId === undefined || claimed.has(user.username)) continue;
      // A creation under way made the pool user and has not inserted its row yet.
      if (this.input.db.busySubjects.has(userSubject(user.username))) {
        this.findings.busy(user.username);
        continue;
      }
      this.findings.orphanWithSubject({
        kind: 'pool-user',
        name: user.username,
        owner: user.username,
        userId: user.userId,
        reason: `A Cognito user this service created (${USER_ID_ATTRIBUTE} ${user.userId}) that no user record has`,
        action: 'delete',
        subject: userSubject(user.username),
      });
    }
  }

  /** Rows marked by an earlier repair: stale marks unless a rule finds them ghosts (DriftFindings decides, across slices). */
  private markedRows(): void {
    const { users, devices, certificates } = this.input.db;
    const rows = [
      ...users.map((row) => ({ table: 'user' as const, row, name: row.policyName })),
      ...devices.map((row) => ({ table: 'device' as const, row, name: row.thingName })),
      ...certificates.map((row) => ({ table: 'certificate' as const, row, name: row.thingName })),
    ];
    for (const { table, row, name } of rows) {
      if (row.driftDetectedAt !== null && this.judged(row) && !this.busy(name)) this.findings.marked({ table, id: row.id });
    }
  }

  /** The user's policies, once the scope is known (it is part of every document, and so of how many slots the sites take). */
  private compile(user: UserRow): ExpectedPolicy[] | undefined {
    const { scope, prefix } = this.input;
    const grants = user.sites ?? [];
    if (scope) return expectedPolicies(scope, prefix, user.username, grants);
    // Without the scope only a user in no site is known: their one policy (its document is not compared without the scope either).
    return grants.length === 0 ? [{ slot: 1, policyName: user.policyName, text: '' }] : undefined;
  }

  /** True, and remembered for the report, when an operation on the name's device or owner is running. */
  private busy(name: string): boolean {
    const busy = subjectsOf(this.input.prefix, name).some((subject) => this.input.db.busySubjects.has(subject));
    if (busy) this.findings.busy(name);
    return busy;
  }

  private judged(row: { createdAt: Date }): boolean {
    return row.createdAt < this.input.scanStartedAt;
  }

  private isUnrecordedCertificate(principal: string): boolean {
    const id = certificateIdOf(principal);
    return id !== undefined && !this.certificateRows.has(id) && !this.certificateClaims.has(id);
  }

  private claimOf(principal: string): CertificateClaim | undefined {
    const id = certificateIdOf(principal);
    return id === undefined ? undefined : (this.certificateRows.get(id) ?? this.certificateClaims.get(id));
  }
}

/** A row's owner as findings name it: a site device's also says `site`. */
function ownerFields(row: { owner: string; ownerKind: OwnerKind }): Pick<Finding, 'owner' | 'site'> {
  return row.ownerKind === 'site' ? { owner: row.owner, site: row.owner } : { owner: row.owner };
}

function sameDocument(held: string, wanted: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(held), JSON.parse(wanted));
  } catch {
    return false; // AWS holds only valid JSON; text that does not parse is not ours
  }
}
