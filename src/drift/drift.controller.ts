import { Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { WithoutAwsDeadline } from '../aws/aws-deadline.js';
import { DriftService } from './drift.service.js';
import { DriftQueryDto, DriftRepairDto, DriftRepairQueryDto, DriftReportDto } from './dto/drift.dto.js';

const SCAN_FAILED = 'AWS_THROTTLED or AWS_UNAVAILABLE: a List call failed, so no comparison was made';

const DETECT_DESCRIPTION = [
  'Streams the comparison: every thing, policy, certificate and pool user, page by page (250 a page, 60 for ListUsers), against the records in',
  'keyset pages, and the principals of each of our things and the targets and document of each of our policies. It holds a page at a time, so its',
  'memory grows with the drift found, not with the fleet. Our resources are the names in the shapes this service composes: `<prefix>_<user>`,',
  "`<prefix>_<user>_<device>` and a site's devices, `<prefix>-site_<site>_<device>` (their owner in findings is the site, also named in `site`).",
  "A site member's further policies (`<prefix>_<user>.<n>`) are expected as the user's memberships compile. `user` or `prefix` limits the scan to one user or to the users",
  'whose names start with it: their rows, things, policies, certificates and pool users (AWS still lists every thing and policy, but the',
  'per-resource calls, the costly part, are theirs only). Site devices belong to no user, so a filtered scan leaves them out.',
  '',
  '- **orphans**: in AWS, not in the database: things and policies no record names; certificates attached to our things or policies that no record has;',
  "attachments no record accounts for (a certificate on another device's thing, a user policy on an identity that is not the user's, or on a disabled user's);",
  'pool users this service created (they carry `custom:iotp_user_id`) whose username no record has. Pool users without that marker were made',
  'outside the service (administrators, say) and are only counted.',
  "- **ghosts**: in the database, gone from AWS: a device's thing or policy, a certificate (or its attachments), a user's policy or its attachment to the identity;",
  "a further policy a site member's memberships need that AWS lacks (action `recreate`).",
  '- **unattachedCertificates**: in no record and attached to none of ours. They may be leftovers of a registration that stopped right after AWS issued',
  "the certificate, or another application's in a shared account; this service cannot tell which. A filtered scan lists none: nothing ties them to a user.",
  '',
  'Resources whose device or user has an operation running are not judged (listed in inProgress): a pool user whose creation is still running among them.',
].join('\n');

const REPAIR_DESCRIPTION = [
  "Scans as GET does, then (with dryRun=false) removes orphans in AWS's order, each under its device's or user's operation lock and only if the",
  'database still does not claim it: detach principals and policies, certificate INACTIVE then deleted, policy versions then the policy, the thing.',
  'What is already gone counts as done. Ghost rows get `driftDetectedAt` (a later scan still lists them, with `markedAt`); a ghost attachment of a',
  "user policy also clears the row's claim, so the next sign-in attaches the user's policies again. A missing further policy of a site member is created",
  "again with its compiled document, under the user's lock, and attached to the identity when the row says the user's policies are. Unattached certificates are left unless",
  'includeUnattachedCertificates=true, and even then only those without a policy, and not while device operations run.',
  "An orphan pool user is removed (AdminDeleteUser) under its username's lock, only if no record has the name and it still carries the marker the scan saw.",
  'One failure does not stop the rest: each item says done, skipped, failed (with the error) or, in a dry run, planned. `user` and `prefix` limit',
  'the scan, and so the repair, as for GET.',
].join('\n');

@ApiTags('drift')
@AdminOnly()
@WithoutAwsDeadline()
@Controller('admin/drift')
export class DriftController {
  constructor(private readonly drift: DriftService) {}

  @Get()
  @ApiOperation({
    summary: 'Compare the database with AWS IoT: orphans (in AWS only) and ghosts (in the database only)',
    description: DETECT_DESCRIPTION,
  })
  @ApiOkResponse({ type: DriftReportDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: user or prefix is not (the start of) a username' })
  @ApiServiceUnavailableResponse({ description: SCAN_FAILED })
  detect(@Query() query: DriftQueryDto): Promise<DriftReportDto> {
    return this.drift.detect({ user: query.user, prefix: query.prefix });
  }

  @Post('repair')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Remove orphans and mark ghosts (a dry run unless dryRun=false)', description: REPAIR_DESCRIPTION })
  @ApiOkResponse({ type: DriftRepairDto })
  @ApiBadRequestResponse({
    description:
      'VALIDATION_FAILED: dryRun or includeUnattachedCertificates is not true or false, or user or prefix is not (the start of) a username',
  })
  @ApiServiceUnavailableResponse({ description: SCAN_FAILED })
  repair(@Query() query: DriftRepairQueryDto): Promise<DriftRepairDto> {
    return this.drift.repair({
      dryRun: query.dryRun ?? true,
      includeUnattachedCertificates: query.includeUnattachedCertificates ?? false,
      filter: { user: query.user, prefix: query.prefix },
    });
  }
}
