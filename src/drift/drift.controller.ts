import { Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { WithoutAwsDeadline } from '../aws/aws-deadline.js';
import { DriftService } from './drift.service.js';
import { DriftRepairDto, DriftRepairQueryDto, DriftReportDto } from './dto/drift.dto.js';

const SCAN_FAILED = 'AWS_THROTTLED or AWS_UNAVAILABLE: a List call failed, so no comparison was made';

const DETECT_DESCRIPTION = [
  'Lists every thing, policy and certificate (all pages), then the principals of each of our things and the targets of each of our policies,',
  'and compares them with the records. Our resources are the names in the shapes this service composes: `<prefix>_<user>` and `<prefix>_<user>_<device>`.',
  '',
  '- **orphans**: in AWS, not in the database: things and policies no record names; certificates attached to our things or policies that no record has;',
  "attachments no record accounts for (a certificate on another device's thing, a user policy on an identity that is not the user's, or on a disabled user's).",
  "- **ghosts**: in the database, gone from AWS: a device's thing or policy, a certificate (or its attachments), a user's policy or its attachment to the identity.",
  '- **unattachedCertificates**: in no record and attached to none of ours. They may be leftovers of a registration that stopped right after AWS issued',
  "the certificate, or another application's in a shared account; this service cannot tell which.",
  '',
  'Resources whose device or user has an operation running are not judged (listed in inProgress).',
].join('\n');

const REPAIR_DESCRIPTION = [
  "Scans as GET does, then (with dryRun=false) removes orphans in AWS's order, each under its device's or user's operation lock and only if the",
  'database still does not claim it: detach principals and policies, certificate INACTIVE then deleted, policy versions then the policy, the thing.',
  'What is already gone counts as done. Ghost rows get `driftDetectedAt` (a later scan still lists them, with `markedAt`); a ghost attachment of a',
  "user policy also clears the row's claim, so the next sign-in attaches the policy again. Unattached certificates are left unless",
  'includeUnattachedCertificates=true, and even then only those without a policy, and not while device operations run.',
  'One failure does not stop the rest: each item says done, skipped, failed (with the error) or, in a dry run, planned.',
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
  @ApiServiceUnavailableResponse({ description: SCAN_FAILED })
  detect(): Promise<DriftReportDto> {
    return this.drift.detect();
  }

  @Post('repair')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Remove orphans and mark ghosts (a dry run unless dryRun=false)', description: REPAIR_DESCRIPTION })
  @ApiOkResponse({ type: DriftRepairDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: dryRun or includeUnattachedCertificates is not true or false' })
  @ApiServiceUnavailableResponse({ description: SCAN_FAILED })
  repair(@Query() query: DriftRepairQueryDto): Promise<DriftRepairDto> {
    return this.drift.repair({ dryRun: query.dryRun ?? true, includeUnattachedCertificates: query.includeUnattachedCertificates ?? false });
  }
}
