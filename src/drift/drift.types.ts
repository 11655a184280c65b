import type { CertificateStatus } from '../aws/iot.port.js';
import type { PoolUser } from '../aws/user-pool.port.js';
import type { SiteGrant } from '../policy/entitlements.js';
import type { CertificateClaim } from './drift-rules.js';

/**
 * What drift detection compares: the AWS side (only names carrying RESOURCE_PREFIX in the
 * shapes this service composes) and the database side, read in that order (see DriftService).
 */

export interface AwsCertificate {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
}

export interface AwsInventory {
  /** Our things and the principals attached to each. */
  things: Map<string, Set<string>>;
  /** Our policies and the targets each is attached to. */
  policies: Map<string, Set<string>>;
  /** Every certificate of the account and region, by id: AWS cannot list only ours. */
  certificates: Map<string, AwsCertificate>;
  /** Our policies' default versions (GetPolicy) and their other versions (ListPolicyVersions). */
  documents?: Map<string, AwsPolicyDocument>;
  /** Users of the Cognito user pool (ListUsers); without it pool users are not compared. */
  poolUsers?: PoolUser[];
}

export interface AwsPolicyDocument {
  document: string;
  defaultVersionId: string;
  /** Non-default version ids, oldest first. */
  otherVersionIds: string[];
}

export interface UserRow {
  id: string;
  username: string;
  policyName: string;
  identityId: string | null;
  status: 'ACTIVE' | 'DISABLED';
  policyAttached: boolean;
  /** The user's sites (those not being deleted): their first policy's document grants them too. Absent: none. */
  sites?: SiteGrant[];
  driftDetectedAt: Date | null;
  createdAt: Date;
}

/** Who owns a device: a user, or a site (a site device's `owner` is the site's name). */
export type OwnerKind = 'user' | 'site';

export interface DeviceRow {
  id: string;
  name: string;
  /** The username, or the site's name for a site device. */
  owner: string;
  ownerKind: OwnerKind;
  thingName: string;
  policyName: string;
  driftDetectedAt: Date | null;
  createdAt: Date;
}

export interface CertificateRow {
  id: string;
  certificateId: string;
  certificateArn: string;
  status: 'ACTIVE' | 'INACTIVE' | 'REVOKED';
  /** The device's thing and policy, which this certificate should be attached to. */
  thingName: string;
  policyName: string;
  owner: string;
  ownerKind: OwnerKind;
  device: string;
  driftDetectedAt: Date | null;
  createdAt: Date;
}

export interface DatabaseRecords {
  users: UserRow[];
  devices: DeviceRow[];
  certificates: CertificateRow[];
  /** Subjects of running operations (`device:<thing>`, `user:<name>`): their resources are mid-change. */
  busySubjects: Set<string>;
  /** Policies an operation is deleting and waits on AWS to accept it (recently detached): not orphans. */
  pendingDeletions: Set<string>;
  /**
   * Certificates that rows outside this slice of the scan claim, by id: they account for attachments
   * here, and are judged with their own rows.
   */
  certificateClaims?: Map<string, CertificateClaim>;
  /** Usernames that rows outside this slice have: they claim their pool users. */
  usernames?: Set<string>;
}

/**
 * What a scan covers: every resource of ours, or those of one user, or of the users whose names
 * start with a prefix. Both filters name users, so a filtered scan leaves site devices out.
 */
export interface DriftFilter {
  user?: string;
  prefix?: string;
}

export type FindingKind = 'thing' | 'certificate' | 'policy' | 'policy-attachment' | 'thing-principal' | 'policy-document' | 'pool-user';

/**
 * delete: an orphan, removed in AWS's delete order. detach: an attachment no record accounts for.
 * mark: a ghost; the row gets drift_detected_at. reset: a ghost attachment; the row is marked and
 * its attachment record cleared so the next sign-in attaches again. review: never automatic.
 * restore: a policy whose default version differs from the document this service generates.
 * recreate: a further policy a user's sites need that AWS lacks; repair creates it (and attaches it
 * to the identity, once the user has signed in).
 */
export type FindingAction = 'delete' | 'detach' | 'mark' | 'reset' | 'review' | 'restore' | 'recreate';

export type RecordTable = 'user' | 'device' | 'certificate';

export interface RecordRef {
  table: RecordTable;
  id: string;
}

export interface Finding {
  kind: FindingKind;
  /** Thing or policy name, certificate id, or (pool users) username. */
  name: string;
  /** Attachments: the principal attached (a certificate ARN or a Cognito identity id). */
  target?: string;
  certificateArn?: string;
  /** The username, or the site's name (then `site` says so). */
  owner?: string;
  /** A site device's resources: the site's name (equal to `owner`). */
  site?: string;
  device?: string;
  /** Orphan certificates: our things they are attached to. */
  attachedToThings?: string[];
  /** Orphan certificates: our policies attached to them. */
  attachedToPolicies?: string[];
  /** Certificates: their status in AWS. */
  status?: CertificateStatus;
  reason: string;
  action: FindingAction;
  /** Ghosts: the row repair marks, and when it was first marked. */
  record?: RecordRef & { markedAt: Date | null };
  /** Orphans: the operation subject a repair holds, so it cannot interleave with provisioning. */
  subject?: string;
  /** Changed policies: the default version's document in AWS, its version id, the document expected, and the other versions. */
  awsDocument?: string;
  defaultVersionId?: string;
  expectedDocument?: string;
  otherVersionIds?: string[];
  /** Pool users: their USER_ID_ATTRIBUTE, the id of the row the creating operation meant to insert. */
  userId?: string;
}

/** What a scan compared: AWS resources read, and (streamed scans) rows and pool users. */
export interface ScanCounts {
  things: number;
  policies: number;
  certificates: number;
  users?: number;
  devices?: number;
  poolUsers?: number;
  /** Pool users without USER_ID_ATTRIBUTE: not made by this service (administrators, say), never compared. */
  poolUsersWithoutMarker?: number;
}

export interface DriftScan {
  scannedAt: Date;
  prefix: string;
  /** Present when the scan covered part of the fleet only. */
  filter?: DriftFilter;
  scanned: ScanCounts;
  orphans: Finding[];
  ghosts: Finding[];
  unattachedCertificates: Finding[];
  /** Policies of ours whose default version is not the document this service generates (edited by hand, or widened). */
  changedPolicies: Finding[];
  /** Names not judged because an operation on them was running. */
  inProgress: string[];
  /** Policies whose deletion is scheduled (AWS refuses it for a while after the detach); recovery finishes it. */
  pendingDeletion: string[];
  /** Rows marked by an earlier repair that are no longer ghosts. */
  staleMarks: RecordRef[];
}
