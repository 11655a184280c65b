import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { USER_ID_ATTRIBUTE } from '../../aws/user-pool.port.js';
import { NAME_PATTERN, NAME_RULE } from '../../policy/names.js';
import type { DriftScan, Finding } from '../drift.types.js';

const KINDS = ['thing', 'certificate', 'policy', 'policy-attachment', 'thing-principal', 'policy-document', 'pool-user'] as const;
const ACTIONS = ['delete', 'detach', 'mark', 'reset', 'review', 'restore', 'recreate'] as const;
const RESULTS = ['planned', 'done', 'skipped', 'failed', 'not-requested'] as const;
const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'] as const;
const EXAMPLE_CERTIFICATE_ID = '4f1c0e6a2b9d8c7e5f3a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e';
const EXAMPLE_CERTIFICATE_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${EXAMPLE_CERTIFICATE_ID}`;

const ACTION_DESCRIPTION = [
  'What repair does with it.',
  "`delete`: an orphan, removed in AWS's order (detach principals and policies; certificate INACTIVE, then deleted; policy versions, then the policy; the thing; a pool user: AdminDeleteUser).",
  '`detach`: an attachment no record accounts for.',
  '`mark`: a ghost; its row gets `driftDetectedAt`.',
  '`reset`: the user row says its policies are attached to its identity and AWS disagrees (for one of them); the row is marked and the claim cleared, so the next sign-in attaches them all again.',
  '`review`: a certificate attached to none of ours and in no record; removed only with `includeUnattachedCertificates=true`.',
  '`restore`: a policy whose default version differs from the generated document; reported for review (repair does not yet rewrite it).',
  "`recreate`: a further policy a user's sites need (`<prefix>_<user>.<n>`) that AWS lacks; created again with the compiled document, and attached to the user's identity when the row says their policies are.",
].join(' ');

const ORPHAN_EXAMPLES = [
  {
    kind: 'thing',
    name: 'iotp_alice_scanner-9',
    owner: 'alice',
    device: 'scanner-9',
    reason: 'No device record has this thing name',
    action: 'delete',
  },
  {
    kind: 'certificate',
    name: EXAMPLE_CERTIFICATE_ID,
    certificateArn: EXAMPLE_CERTIFICATE_ARN,
    owner: 'alice',
    device: 'scanner-9',
    attachedToThings: ['iotp_alice_scanner-9'],
    attachedToPolicies: [],
    status: 'ACTIVE',
    reason: 'Attached to iotp_alice_scanner-9 but no certificate record has this id',
    action: 'delete',
  },
];
const GHOST_EXAMPLES = [
  {
    kind: 'thing',
    name: 'iotp_bob_sensor-1',
    owner: 'bob',
    device: 'sensor-1',
    reason: 'The device record names a thing AWS does not have',
    action: 'mark',
    record: 'device',
    markedAt: null,
  },
];
const UNATTACHED_EXAMPLES = [
  {
    kind: 'certificate',
    name: EXAMPLE_CERTIFICATE_ID,
    certificateArn: EXAMPLE_CERTIFICATE_ARN,
    status: 'ACTIVE',
    reason:
      "In no certificate record and attached to none of our things or policies: issued by a certificate creation whose answer was lost (generated keys cannot be matched to their request), a leftover of an interrupted registration, or another application's",
    action: 'review',
  },
];

/** One difference between the database and AWS. */
export class DriftFindingDto {
  @ApiProperty({ enum: KINDS, description: 'The AWS resource or link concerned (`pool-user`: a user of the Cognito user pool)', example: 'thing' })
  kind!: Finding['kind'];

  @ApiProperty({
    description: 'Thing or policy name, certificate id (for links: the thing or the policy), or the username of a pool user',
    example: 'iotp_alice_scanner-9',
  })
  name!: string;

  @ApiPropertyOptional({
    description: 'Links: the principal attached (a certificate ARN or a Cognito identity id)',
    example: 'eu-west-1:7d4e2a4c-0f8b-4b62-9a55-0f3c2d1e4b6a',
  })
  target?: string;

  @ApiPropertyOptional({ description: 'Certificates: the ARN', example: EXAMPLE_CERTIFICATE_ARN })
  certificateArn?: string;

  @ApiPropertyOptional({ description: "Username, or a site device's site name, from the resource name or the record", example: 'alice' })
  owner?: string;

  @ApiPropertyOptional({
    description: "A site device's thing, policy or certificates: the site's name (the owner is that site)",
    example: 'warehouse',
  })
  site?: string;

  @ApiPropertyOptional({ description: 'Device name, from the resource name or the record', example: 'scanner-9' })
  device?: string;

  @ApiPropertyOptional({ type: [String], description: 'Orphan certificates: our things they are attached to', example: ['iotp_alice_scanner-9'] })
  attachedToThings?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Orphan certificates: our policies attached to them', example: ['iotp_alice_scanner-9'] })
  attachedToPolicies?: string[];

  @ApiPropertyOptional({ enum: CERTIFICATE_STATUSES, description: 'Certificates: the status AWS reports', example: 'ACTIVE' })
  status?: string;

  @ApiProperty({ description: 'Why this is drift', example: 'No device record has this thing name' })
  reason!: string;

  @ApiProperty({ enum: ACTIONS, description: ACTION_DESCRIPTION, example: 'delete' })
  action!: Finding['action'];

  @ApiPropertyOptional({ enum: ['user', 'device', 'certificate'], description: 'Ghosts: the kind of row that is marked', example: 'device' })
  record?: string;

  @ApiPropertyOptional({
    type: Date,
    nullable: true,
    description: 'Ghosts: when a repair first marked the row (driftDetectedAt); null while unmarked',
    example: '2026-12-01T09:30:00.000Z',
  })
  markedAt?: Date | null;

  @ApiPropertyOptional({
    description: "Changed policies: the default version's document as AWS holds it",
    example: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}',
  })
  awsDocument?: string;

  @ApiPropertyOptional({ description: 'Changed policies: the id of that default version', example: '2' })
  defaultVersionId?: string;

  @ApiPropertyOptional({ description: 'Changed policies: the document this service generates for the user or device' })
  expectedDocument?: string;

  @ApiPropertyOptional({ type: [String], description: 'Changed policies: the non-default versions AWS also keeps, oldest first', example: ['1'] })
  otherVersionIds?: string[];

  @ApiPropertyOptional({
    description: `Pool users: their ${USER_ID_ATTRIBUTE}, the id of the user row the creating operation meant to insert`,
    example: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
  })
  userId?: string;

  static from(finding: Finding): DriftFindingDto {
    // Record ids and operation subjects are internal; undefined fields are left out of the JSON.
    const { record, subject: _subject, ...rest } = finding;
    return { ...rest, ...(record ? { record: record.table, markedAt: record.markedAt } : {}) };
  }
}

export class DriftCountsDto {
  @ApiProperty({ description: "Our things found in AWS (names carrying RESOURCE_PREFIX in the service's shapes)", example: 120 }) things!: number;
  @ApiProperty({ description: 'Our policies found in AWS', example: 140 }) policies!: number;
  @ApiProperty({
    description:
      'Certificates in the account and region (AWS cannot list only ours); in a filtered scan, the certificates of the covered devices (DescribeCertificate each)',
    example: 160,
  })
  certificates!: number;
  @ApiPropertyOptional({ description: 'User rows compared', example: 40 }) users?: number;
  @ApiPropertyOptional({ description: "Device rows compared, users' and sites'", example: 120 }) devices?: number;
  @ApiPropertyOptional({ description: 'Users of the Cognito user pool read', example: 42 }) poolUsers?: number;
  @ApiPropertyOptional({
    description: `Pool users without ${USER_ID_ATTRIBUTE}: made outside this service (administrators, say), left alone`,
    example: 2,
  })
  poolUsersWithoutMarker?: number;
}

export class DriftFilterDto {
  @ApiPropertyOptional({ description: 'Only this user: their policy, devices, certificates and pool user', example: 'alice' }) user?: string;
  @ApiPropertyOptional({ description: 'Only users whose username starts with this, and their resources', example: 'al' }) prefix?: string;
}

export class DriftReportDto {
  @ApiProperty({ description: 'When the AWS listing began (database clock)', example: '2026-12-01T09:30:00.000Z' })
  scannedAt!: Date;

  @ApiProperty({ description: 'The RESOURCE_PREFIX compared', example: 'iotp' })
  prefix!: string;

  @ApiPropertyOptional({ type: DriftFilterDto, description: 'Present when the scan covered part of the fleet (the user or prefix query)' })
  filter?: DriftFilterDto;

  @ApiProperty({ type: DriftCountsDto, description: 'What the scan read from AWS and the database' })
  scanned!: DriftCountsDto;

  @ApiProperty({
    type: [DriftFindingDto],
    description: 'In AWS, not in the database (pool users: only those this service created, which carry its marker)',
    example: ORPHAN_EXAMPLES,
  })
  orphans!: DriftFindingDto[];

  @ApiProperty({ type: [DriftFindingDto], description: 'In the database, gone from AWS', example: GHOST_EXAMPLES })
  ghosts!: DriftFindingDto[];

  @ApiProperty({
    type: [DriftFindingDto],
    description:
      'Certificates in no record and attached to none of our things or policies. In an account shared with other applications some may be theirs, so repair leaves them unless asked. Empty in a filtered scan: nothing ties such a certificate to a user.',
    example: UNATTACHED_EXAMPLES,
  })
  unattachedCertificates!: DriftFindingDto[];

  @ApiProperty({
    type: [DriftFindingDto],
    description:
      'Policies of ours whose default version (GetPolicy) is not, as parsed JSON, the document this service generates: edited or widened by hand in AWS',
  })
  changedPolicies!: DriftFindingDto[];

  @ApiProperty({
    type: [String],
    description: 'Names not judged because an operation on them was running; run again later',
    example: ['iotp_carol_gateway'],
  })
  inProgress!: string[];

  @ApiProperty({
    type: [String],
    description:
      'Policies pending deletion: detached, and their deletion scheduled because AWS refuses DeletePolicy for up to five minutes after a detach; recovery finishes it (see /v1/operations)',
    example: ['iotp_carol_gateway'],
  })
  pendingDeletion!: string[];

  static from(scan: DriftScan): DriftReportDto {
    return {
      scannedAt: scan.scannedAt,
      prefix: scan.prefix,
      ...(scan.filter ? { filter: scan.filter } : {}),
      scanned: scan.scanned,
      orphans: scan.orphans.map(DriftFindingDto.from),
      ghosts: scan.ghosts.map(DriftFindingDto.from),
      unattachedCertificates: scan.unattachedCertificates.map(DriftFindingDto.from),
      changedPolicies: scan.changedPolicies.map(DriftFindingDto.from),
      inProgress: scan.inProgress,
      pendingDeletion: scan.pendingDeletion,
    };
  }
}

const booleanQuery = () => Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

/** Which part of the fleet a scan covers. */
export class DriftQueryDto {
  @ApiPropertyOptional({
    description: `Only this user's resources: their policy, devices, things, certificates and pool user (${NAME_RULE}). Site devices are left out; a scan without filters compares them.`,
    example: 'alice',
    pattern: NAME_PATTERN.source,
  })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: `user must be a username: ${NAME_RULE}` })
  user?: string;

  @ApiPropertyOptional({
    description: `Only the resources of users whose username starts with this (names \`<RESOURCE_PREFIX>_<prefix>…\`; ${NAME_RULE}). With user, both must hold. Site devices are left out, whatever their site's name.`,
    example: 'al',
    pattern: NAME_PATTERN.source,
  })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: `prefix must be the start of a username: ${NAME_RULE}` })
  prefix?: string;
}

export class DriftRepairQueryDto extends DriftQueryDto {
  @ApiPropertyOptional({ description: 'Only report what would be done (the default); false to do it', example: true, default: true })
  @IsOptional()
  @booleanQuery()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    description: 'Also deactivate and delete the unattachedCertificates (only those with no policy attached); they may belong to another application',
    example: false,
    default: false,
  })
  @IsOptional()
  @booleanQuery()
  @IsBoolean()
  includeUnattachedCertificates?: boolean;
}

export class RepairErrorDto {
  @ApiProperty({ description: 'The error code', example: 'AWS_THROTTLED' }) code!: string;
  @ApiProperty({ description: 'What went wrong', example: 'AWS is throttling requests' }) message!: string;
}

export class RepairItemDto extends DriftFindingDto {
  @ApiProperty({
    enum: RESULTS,
    description:
      'planned: a dry run would do it. done: done (for ghosts: marked). skipped: no longer drift when re-checked under the lock (see note). ' +
      'failed: see error; the rest went on. not-requested: an unattached certificate without includeUnattachedCertificates.',
    example: 'done',
  })
  result!: (typeof RESULTS)[number];

  @ApiPropertyOptional({ description: 'Why it was skipped', example: 'A device record now has this thing' })
  note?: string;

  @ApiPropertyOptional({ type: RepairErrorDto, description: 'Why it failed' })
  error?: RepairErrorDto;
}

export class RepairSummaryDto {
  @ApiProperty({ description: 'Items a dry run would act on', example: 3 }) planned!: number;
  @ApiProperty({ description: 'Items done', example: 3 }) done!: number;
  @ApiProperty({ description: 'Items no longer drift when re-checked', example: 0 }) skipped!: number;
  @ApiProperty({ description: 'Items that failed', example: 0 }) failed!: number;
}

export class DriftRepairDto {
  @ApiProperty({ description: 'True when nothing was changed', example: true }) dryRun!: boolean;
  @ApiProperty({ description: 'When the scan the plan is based on began', example: '2026-12-01T09:30:00.000Z' }) scannedAt!: Date;
  @ApiPropertyOptional({ type: DriftFilterDto, description: 'Present when the scan covered part of the fleet' }) filter?: DriftFilterDto;
  @ApiPropertyOptional({ type: DriftCountsDto, description: 'What the scan read from AWS and the database' }) scanned?: DriftCountsDto;
  @ApiProperty({
    type: [RepairItemDto],
    description: 'Orphans, in the order they are repaired',
    example: ORPHAN_EXAMPLES.map((item) => ({ ...item, result: 'done' })),
  })
  orphans!: RepairItemDto[];
  @ApiProperty({
    type: [RepairItemDto],
    description: 'Ghosts and whether they were marked',
    example: GHOST_EXAMPLES.map((item) => ({ ...item, result: 'done', markedAt: '2026-12-01T09:30:02.000Z' })),
  })
  ghosts!: RepairItemDto[];
  @ApiProperty({
    type: [RepairItemDto],
    description: 'Unattached certificates',
    example: UNATTACHED_EXAMPLES.map((item) => ({ ...item, result: 'not-requested' })),
  })
  unattachedCertificates!: RepairItemDto[];
  @ApiProperty({ type: Number, description: 'Marks cleared from rows that are no longer ghosts', example: 0 }) unmarked!: number;
  @ApiProperty({ type: [String], description: 'Names not judged because an operation on them was running', example: [] }) inProgress!: string[];
  @ApiProperty({ type: [String], description: 'Policies pending deletion (scheduled; not repaired)', example: [] }) pendingDeletion!: string[];
  @ApiProperty({ type: RepairSummaryDto, description: 'Counts over all three lists' }) summary!: RepairSummaryDto;
}
