import type { CertificateStatus } from '../aws/iot.port.js';
import { certificateSubject } from '../operations/subjects.js';
import { ownerOf, subjectsOf } from './drift-rules.js';
import type { AwsCertificate, DriftFilter, DriftScan, Finding, RecordRef, ScanCounts } from './drift.types.js';

/** Findings are listed, and orphans repaired, in AWS's delete order: links first, then certificates, policies, things; pool users last. */
const KIND_ORDER = ['policy-attachment', 'thing-principal', 'certificate', 'policy', 'thing', 'policy-document', 'pool-user'];

const UNATTACHED_REASON =
  "In no certificate record and attached to none of our things or policies: issued by a certificate creation whose answer was lost (generated keys cannot be matched to their request), a leftover of an interrupted registration, or another application's";

/** A certificate no row has, attached to things or policies of ours: an orphan once every attachment is known. */
interface UnrecordedCertificate {
  arn: string;
  things: Set<string>;
  policies: Set<string>;
  /** One of those names had an operation running: left alone. */
  busy: boolean;
  status?: CertificateStatus;
}

/**
 * What the rules find, slice after slice of a scan: it holds findings only (their number grows with
 * the drift, not with the fleet), and puts together what spans slices: a certificate's attachments
 * seen in different slices, and marks that a later slice may find to be ghosts after all.
 */
export class DriftFindings {
  private readonly orphans: Finding[] = [];
  private readonly ghosts: Finding[] = [];
  private readonly unattached: Finding[] = [];
  private readonly changed: Finding[] = [];
  private readonly inProgress = new Set<string>();
  private readonly pendingDeletion = new Set<string>();
  private readonly ghostRows = new Set<string>();
  private readonly markedRows = new Map<string, RecordRef>();
  private readonly unrecorded = new Map<string, UnrecordedCertificate>();

  constructor(
    private readonly prefix: string,
    private readonly scannedAt: Date,
    private readonly filter?: DriftFilter,
  ) {}

  orphan(finding: Omit<Finding, 'subject'>, subjectName = finding.name): void {
    this.orphans.push({ ...ownerOf(this.prefix, subjectName), ...finding, subject: subjectsOf(this.prefix, subjectName)[0] });
  }

  /** An orphan whose subject is not derived from a resource name (a pool user's is its username's). */
  orphanWithSubject(finding: Finding): void {
    this.orphans.push(finding);
  }

  ghost(finding: Finding): void {
    this.ghosts.push(finding);
    if (finding.record) this.ghostRows.add(key(finding.record));
  }

  changedPolicy(finding: Finding): void {
    this.changed.push(finding);
  }

  busy(name: string): void {
    this.inProgress.add(name);
  }

  pending(policyName: string): void {
    this.pendingDeletion.add(policyName);
  }

  /** A row marked by an earlier repair, not a ghost where it was judged: its mark is stale unless another slice finds it a ghost. */
  marked(ref: RecordRef): void {
    this.markedRows.set(key(ref), { table: ref.table, id: ref.id });
  }

  /** A certificate no row has, attached to one of our things or policies. */
  attachedUnrecorded(certificateId: string, arn: string, side: 'things' | 'policies', name: string, busy: boolean): void {
    const entry = this.unrecorded.get(certificateId) ?? { arn, things: new Set(), policies: new Set(), busy: false };
    entry[side].add(name);
    entry.busy ||= busy;
    this.unrecorded.set(certificateId, entry);
  }

  /** The unrecorded certificates that will be reported, for a scan that reads their status one by one. */
  unrecordedIds(): string[] {
    return [...this.unrecorded].filter(([, entry]) => !entry.busy).map(([id]) => id);
  }

  unrecordedStatus(certificateId: string, status: CertificateStatus): void {
    const entry = this.unrecorded.get(certificateId);
    if (entry) entry.status = status;
  }

  /**
   * A listed certificate no row claims: its status when it is attached to ours (an orphan), else
   * unattached. A filtered scan cannot tell whose an unattached certificate is, so it leaves them out.
   */
  unclaimedListed(certificate: AwsCertificate, reportUnattached: boolean): void {
    const entry = this.unrecorded.get(certificate.certificateId);
    if (entry) {
      entry.status = certificate.status;
      return;
    }
    if (!reportUnattached) return;
    this.unattached.push({
      kind: 'certificate',
      name: certificate.certificateId,
      certificateArn: certificate.certificateArn,
      status: certificate.status,
      reason: UNATTACHED_REASON,
      action: 'review',
      subject: certificateSubject(certificate.certificateId),
    });
  }

  result(scanned: ScanCounts): DriftScan {
    const orphans = [...this.orphans];
    for (const [id, { arn, things, policies, busy, status }] of this.unrecorded) {
      if (busy) continue;
      const names = [...new Set([...things, ...policies])].sort();
      const finding: Omit<Finding, 'subject'> = {
        kind: 'certificate',
        name: id,
        certificateArn: arn,
        attachedToThings: [...things].sort(),
        attachedToPolicies: [...policies].sort(),
        status,
        reason: `Attached to ${names.join(', ')} but no certificate record has this id`,
        action: 'delete',
      };
      orphans.push({ ...ownerOf(this.prefix, names[0]!), ...finding, subject: subjectsOf(this.prefix, names[0]!)[0] });
    }
    return {
      scannedAt: this.scannedAt,
      prefix: this.prefix,
      ...(this.filter ? { filter: this.filter } : {}),
      scanned,
      orphans: sorted(orphans),
      ghosts: sorted(this.ghosts),
      unattachedCertificates: sorted(this.unattached),
      changedPolicies: sorted(this.changed),
      inProgress: [...this.inProgress].sort(),
      pendingDeletion: [...this.pendingDeletion].sort(),
      staleMarks: [...this.markedRows].filter(([ref]) => !this.ghostRows.has(ref)).map(([, ref]) => ref),
    };
  }
}

function key(ref: RecordRef): string {
  return `${ref.table}:${ref.id}`;
}

function sorted(findings: Finding[]): Finding[] {
  const sortKey = (finding: Finding) => [KIND_ORDER.indexOf(finding.kind), finding.name, finding.target ?? ''] as const;
  return [...findings].sort((a, b) => {
    const [ka, kb] = [sortKey(a), sortKey(b)];
    return ka[0] - kb[0] || ka[1].localeCompare(kb[1]) || ka[2].localeCompare(kb[2]);
  });
}
