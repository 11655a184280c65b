import { Inject, Injectable } from '@nestjs/common';
import { AwsScope } from '../aws/aws-scope.service.js';
import { certificateIdOf } from '../aws/iot-teardown.js';
import { AppLogger } from '../common/logging/app-logger.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { PolicyScope } from '../policy/documents.js';
import { AwsInventoryReader, judgedPolicyOwner, judgedThingOwner, type JudgedOwner } from './aws-inventory.js';
import { DriftFindings } from './drift-findings.js';
import { DriftRules, type CertificateAttachments, type SliceOptions } from './drift-detector.js';
import { expectedPolicies, subjectsOf, type CertificateClaim } from './drift-rules.js';
import { DriftRepository, type RowWindow } from './drift.repository.js';
import type { AwsCertificate, AwsInventory, DatabaseRecords, DeviceRow, DriftFilter, DriftScan, ScanCounts, UserRow } from './drift.types.js';
import { PolicyClaims } from './policy-claims.js';

/** A progress line every this many AWS list pages and row batches. */
export const PROGRESS_EVERY = 100;

/**
 * The drift scan, streamed: it holds one page of an AWS list or one batch of rows at a time, plus
 * what it found, so its memory grows with the drift, not with the fleet. Each pass reads AWS first,
 * then the running operations, then the rows, as a scan of everything at once did: a resource
 * that provisioning created before AWS was read is, by the time the rows are read, claimed by its
 * row or guarded by its running operation. Repairs re-check under the lock anyway.
 *
 * 1. ListThings and ListPolicies, page by page: names no row claims are orphans (batched lookups
 *    by name); their principals and targets are read, for the certificates attached to them.
 * 2. Users, then devices, in keyset pages: their policies' targets and documents, their things'
 *    principals (a call per resource, as AWS has no other way to tell), compared with the rows:
 *    ghosts, attachments no row accounts for, changed documents, certificates on them no row has.
 * 3. ListCertificates, page by page: the status of each recorded certificate, the status of the
 *    orphan certificates, and those attached to nothing of ours. A recorded certificate attached to
 *    nothing waits for this pass to tell whether AWS still has it. A filtered scan reads the few
 *    certificates it covers with DescribeCertificate instead, and cannot list unattached ones.
 * 4. ListUsers, page by page (one AdminGetUser for a single user): pool users the service made that no row claims.
 */
@Injectable()
export class DriftScanner {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inventory: AwsInventoryReader,
    private readonly records: DriftRepository,
    private readonly claims: PolicyClaims,
    private readonly awsScope: AwsScope,
    private readonly logger: AppLogger,
  ) {
    logger.setContext(DriftScanner.name);
  }

  async scan(filter: DriftFilter = {}): Promise<DriftScan> {
    const scanStartedAt = await this.records.now();
    const scope = await this.awsScope.policyScope();
    const settings = { prefix: this.config.resourcePrefix, batch: this.config.drift.scanBatch, filter, scanStartedAt, scope };
    return new ScanRun(this.inventory, this.records, this.claims, this.logger, settings).run();
  }
}

interface RunSettings {
  prefix: string;
  /** Rows per batch (DRIFT_SCAN_BATCH). */
  batch: number;
  filter: DriftFilter;
  scanStartedAt: Date;
  scope: PolicyScope;
}

class ScanRun {
  private readonly findings: DriftFindings;
  private readonly counts: Required<ScanCounts> = {
    things: 0,
    policies: 0,
    certificates: 0,
    users: 0,
    devices: 0,
    poolUsers: 0,
    poolUsersWithoutMarker: 0,
  };
  private pages = 0;
  /** Recorded certificates attached to nothing (or not ACTIVE in their row), until the listing says whether AWS has them. */
  private readonly deferred = new Map<string, CertificateAttachments>();
  private readonly filtered: boolean;

  constructor(
    private readonly inventory: AwsInventoryReader,
    private readonly records: DriftRepository,
    private readonly claims: PolicyClaims,
    private readonly logger: AppLogger,
    private readonly settings: RunSettings,
  ) {
    const { filter } = settings;
    this.filtered = filter.user !== undefined || filter.prefix !== undefined;
    this.findings = new DriftFindings(settings.prefix, settings.scanStartedAt, this.filtered ? filter : undefined);
  }

  async run(): Promise<DriftScan> {
    await this.things();
    await this.policies();
    await this.users();
    await this.devices();
    if (this.filtered) await this.unrecordedStatuses();
    else await this.certificates();
    await this.poolUsers();
    this.logger.info({ pages: this.pages, scanned: this.counts, filter: this.settings.filter }, 'drift scan finished');
    return this.findings.result(this.counts);
  }

  /** Things no device row claims: orphans, with the certificates attached to them. */
  private async things(): Promise<void> {
    const { prefix } = this.settings;
    for await (const page of this.inventory.thingPages()) {
      const names = page.filter((name) => this.coversOwner(judgedThingOwner(prefix, name)!));
      this.counts.things += names.length;
      if (names.length > 0) {
        const busySubjects = await this.records.busySubjects();
        const claimed = await this.records.claimedThings(names);
        const unclaimed = names.filter((name) => !claimed.has(name));
        const busy = unclaimed.filter((name) => this.busy(name, busySubjects));
        const principals = await this.inventory.principals(unclaimed.filter((name) => !busy.includes(name)));
        // A busy thing goes in with no principals: the rules report it in progress and leave it.
        const things = new Map([...busy.map((name) => [name, new Set<string>()] as const), ...principals]);
        this.judge({ things }, { busySubjects, certificateClaims: await this.claimsOf([things]) });
      }
      this.progress('things');
    }
  }

  /** Policies no user or device row claims: orphans (unless their deletion is pending), with the certificates attached to them. */
  private async policies(): Promise<void> {
    const { prefix } = this.settings;
    for await (const page of this.inventory.policyPages()) {
      const names = page.filter((name) => this.coversOwner(judgedPolicyOwner(prefix, name)!));
      this.counts.policies += names.length;
      if (names.length > 0) {
        const pendingDeletions = await this.records.pendingPolicyDeletions();
        const busySubjects = await this.records.busySubjects();
        const [rows, slots] = await Promise.all([this.records.claimedPolicies(names), this.claims.claimedSlots(names)]);
        const claimed = new Set([...rows, ...slots]);
        // Pending ones go in whatever claims them: the rules list them as pending and judge them no further.
        const pending = names.filter((name) => pendingDeletions.has(name));
        const unclaimed = names.filter((name) => !claimed.has(name) && !pendingDeletions.has(name));
        const busy = unclaimed.filter((name) => this.busy(name, busySubjects));
        const targets = await this.inventory.targets(unclaimed.filter((name) => !busy.includes(name)));
        const policies = new Map([...[...pending, ...busy].map((name) => [name, new Set<string>()] as const), ...targets]);
        this.judge({ policies }, { busySubjects, pendingDeletions, certificateClaims: await this.claimsOf([policies]) });
      }
      this.progress('policies');
    }
  }

  /** Users in keyset pages: their policies, the policies' targets and documents. */
  private async users(): Promise<void> {
    const { user } = this.settings.filter;
    let after: string | undefined;
    for (;;) {
      const page = await this.records.users({ after, limit: this.settings.batch }, user);
      if (page.length === 0) break;
      const upTo = page.at(-1)!.username;
      const batch = page.filter((row) => this.covers(row.username));
      if (batch.length > 0) {
        const names = batch.flatMap((row) => this.policyNamesOf(row));
        const [targets, documents] = await Promise.all([this.inventory.targets(names), this.inventory.documents(names)]);
        const busySubjects = await this.records.busySubjects();
        // Read again after AWS: a user deleted meanwhile is neither a ghost nor the claim of its policies.
        const users = (await this.records.users({ after, upTo }, user)).filter((row) => this.covers(row.username));
        const claimedNow = new Set(users.flatMap((row) => this.policyNamesOf(row)));
        this.counts.users += users.length;
        const policies = only(targets, claimedNow);
        this.judge({ policies, documents: only(documents, claimedNow) }, { busySubjects, users, certificateClaims: await this.claimsOf([policies]) });
      }
      this.progress('users');
      if (page.length < this.settings.batch) break;
      after = upTo;
    }
  }

  /** Devices (users' and sites') in keyset pages: their things' principals, their policies' targets and documents, their certificates. */
  private async devices(): Promise<void> {
    const { user } = this.settings.filter;
    let after: string | undefined;
    for (;;) {
      const page = await this.records.devices({ after, limit: this.settings.batch }, user);
      if (page.length === 0) break;
      const upTo = page.at(-1)!.thingName;
      const batch = page.filter((row) => this.coversOwner(row));
      if (batch.length > 0) await this.deviceBatch(batch, { after, upTo });
      this.progress('devices');
      if (page.length < this.settings.batch) break;
      after = upTo;
    }
  }

  /** One batch of devices: AWS first, then the running operations, then the rows again. */
  private async deviceBatch(batch: DeviceRow[], window: RowWindow): Promise<void> {
    const { user } = this.settings.filter;
    const thingNames = batch.map((device) => device.thingName);
    const policyNames = batch.map((device) => device.policyName);
    const described = this.filtered ? (await this.records.certificatesOf(batch)).map((row) => row.certificateId) : [];
    const [principals, targets, documents, statuses] = await Promise.all([
      this.inventory.principals(thingNames),
      this.inventory.targets(policyNames),
      this.inventory.documents(policyNames),
      this.inventory.statuses(described),
    ]);
    const busySubjects = await this.records.busySubjects();
    // Read again after AWS, as for users; certificates with them.
    const devices = (await this.records.devices(window, user)).filter((row) => this.coversOwner(row));
    const certificates = await this.records.certificatesOf(devices);
    const things = new Set(devices.map((device) => device.thingName));
    const policies = new Set(devices.map((device) => device.policyName));
    const [onThings, onPolicies] = [only(principals, things), only(targets, policies)];
    const claims = await this.claimsOf([onThings, onPolicies], new Set(certificates.map((row) => row.certificateId)));
    const listed = new Map<string, AwsCertificate>();
    for (const row of certificates) {
      const status = statuses.get(row.certificateId);
      if (status) listed.set(row.certificateId, { certificateId: row.certificateId, certificateArn: row.certificateArn, status });
    }
    this.counts.devices += devices.length;
    this.counts.certificates += described.length;
    this.judge(
      { things: onThings, policies: onPolicies, documents: only(documents, policies), certificates: listed },
      { busySubjects, devices, certificates, certificateClaims: claims },
      // A full scan lists every certificate next: statuses come from there.
      this.filtered ? {} : { defer: (row, facts) => void this.deferred.set(row.certificateId, facts) },
    );
  }

  /** Full scans: every certificate AWS lists, against its row (batched lookups by id). */
  private async certificates(): Promise<void> {
    for await (const page of this.inventory.certificatePages()) {
      this.counts.certificates += page.length;
      const busySubjects = await this.records.busySubjects();
      const { claims, rows } = await this.records.certificatesById(page.map((certificate) => certificate.certificateId));
      const rules = this.rules({}, { busySubjects, certificates: rows, certificateClaims: claims });
      const listed = new Map(page.map((certificate) => [certificate.certificateId, certificate]));
      for (const row of rows) {
        const facts = this.deferred.get(row.certificateId);
        this.deferred.delete(row.certificateId);
        // Not deferred: its attachments were judged with its device; only its status is left.
        rules.judgeCertificate(row, { ...facts, inAws: true, status: listed.get(row.certificateId)!.status });
      }
      for (const certificate of page) rules.listedCertificate(certificate, true);
      this.progress('certificates');
    }
    // Deferred rows the listing never showed: AWS does not have their certificate, if the rows still say they do.
    const missing = [...this.deferred.keys()];
    for (let at = 0; at < missing.length; at += this.settings.batch) {
      const ids = missing.slice(at, at + this.settings.batch);
      const busySubjects = await this.records.busySubjects();
      const { claims, rows } = await this.records.certificatesById(ids);
      const rules = this.rules({}, { busySubjects, certificates: rows, certificateClaims: claims });
      for (const row of rows) rules.judgeCertificate(row, { ...this.deferred.get(row.certificateId), inAws: false });
    }
    this.deferred.clear();
  }

  /** Filtered scans: the orphan certificates' statuses, one DescribeCertificate each (there are as many as the drift). */
  private async unrecordedStatuses(): Promise<void> {
    const statuses = await this.inventory.statuses(this.findings.unrecordedIds());
    for (const [id, status] of statuses) this.findings.unrecordedStatus(id, status);
  }

  /** Pool users the service made that no row claims. */
  private async poolUsers(): Promise<void> {
    const { filter } = this.settings;
    const pages = filter.user !== undefined ? single(this.inventory.poolUser(filter.user)) : this.inventory.poolUserPages();
    for await (const page of pages) {
      const users = page.filter((user) => this.covers(user.username));
      const marked = users.filter((user) => user.userId !== undefined);
      this.counts.poolUsers += users.length;
      this.counts.poolUsersWithoutMarker += users.length - marked.length;
      if (marked.length > 0) {
        const busySubjects = await this.records.busySubjects();
        const usernames = await this.records.claimedUsernames(marked.map((user) => user.username));
        this.judge({ poolUsers: marked }, { busySubjects, usernames });
      }
      this.progress('pool users');
    }
  }

  private judge(aws: Partial<AwsInventory>, db: Partial<DatabaseRecords>, options?: SliceOptions): void {
    this.rules(aws, db, options).judgeAll();
  }

  /** Who claims the certificates attached to these names (rows of this slice aside): they account for attachments. */
  private async claimsOf(attached: Array<Map<string, Set<string>>>, except = new Set<string>()): Promise<Map<string, CertificateClaim>> {
    return (await this.records.certificatesById(certificateIdsIn(attached).filter((id) => !except.has(id)))).claims;
  }

  private rules(aws: Partial<AwsInventory>, db: Partial<DatabaseRecords>, options?: SliceOptions): DriftRules {
    const { prefix, scanStartedAt, scope } = this.settings;
    return new DriftRules(
      {
        prefix,
        scanStartedAt,
        scope,
        aws: { things: new Map(), policies: new Map(), certificates: new Map(), ...aws },
        db: { users: [], devices: [], certificates: [], busySubjects: new Set(), pendingDeletions: new Set(), ...db },
      },
      this.findings,
      options,
    );
  }

  /** The user's policies as their memberships compile (just the first when they cannot be compiled: see expectedPolicies). */
  private policyNamesOf(row: UserRow): string[] {
    const { scope, prefix } = this.settings;
    return expectedPolicies(scope, prefix, row.username, row.sites ?? [])?.map((policy) => policy.policyName) ?? [row.policyName];
  }

  private covers(username: string): boolean {
    const { user, prefix } = this.settings.filter;
    return (user === undefined || username === user) && (prefix === undefined || username.startsWith(prefix));
  }

  /** Both filters name users: a site's devices are compared by full scans only. */
  private coversOwner({ owner, ownerKind }: JudgedOwner): boolean {
    return ownerKind === 'site' ? !this.filtered : this.covers(owner);
  }

  private busy(name: string, busySubjects: Set<string>): boolean {
    return subjectsOf(this.settings.prefix, name).some((subject) => busySubjects.has(subject));
  }

  private progress(pass: string): void {
    if (++this.pages % PROGRESS_EVERY === 0) this.logger.info({ pass, pages: this.pages, scanned: this.counts }, 'drift scan progress');
  }
}

/** The entries of `map` whose names the rows read again still claim. */
function only<T>(map: Map<string, T>, names: Set<string>): Map<string, T> {
  return new Map([...map].filter(([name]) => names.has(name)));
}

function certificateIdsIn(maps: Array<Map<string, Set<string>>>): string[] {
  const ids = new Set<string>();
  for (const map of maps) for (const principals of map.values()) for (const principal of principals) ids.add(certificateIdOf(principal) ?? '');
  ids.delete('');
  return [...ids];
}

async function* single<T>(items: Promise<T[]>): AsyncGenerator<T[]> {
  yield await items;
}
