import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { PageDto } from '../../common/http/pagination.js';
import type { CompiledPolicy, SiteRole } from '../../policy/entitlements.js';
import { MAX_POLICY_CHARS, policySize } from '../../policy/documents.js';
import type { MembershipPlan } from '../operations/membership-plan.js';
import type { MemberRecord } from '../sites.repository.js';

const ROLES: SiteRole[] = ['member', 'operator'];
const ROLE_DESCRIPTION = "member: subscribes to and receives everything the site's devices publish; operator: also publishes commands to them";

export class SetMembershipDto {
  @ApiProperty({ enum: ROLES, description: ROLE_DESCRIPTION, example: 'member' })
  @IsIn(ROLES)
  role!: SiteRole;
}

export class DryRunQueryDto {
  @ApiPropertyOptional({ description: 'Only answer what the change would attach, detach or version; change nothing', example: false, default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  dryRun?: boolean;
}

export class MemberDto {
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role!: SiteRole;
  @ApiProperty({ description: 'When the user joined the site', example: '2026-12-02T10:00:00.000Z' }) since!: Date;

  static from(member: MemberRecord): MemberDto {
    return { username: member.username, role: member.role, since: member.since };
  }
}

export class MemberPageDto extends PageDto {
  @ApiProperty({ type: [MemberDto] }) items!: MemberDto[];
}

/** One of the user's IoT policies, as compiled from their own grant and their sites. */
export class EntitlementPolicyDto {
  @ApiProperty({ description: '1 is the policy every user has; 2..10 hold the sites that do not fit in it', example: 1 }) slot!: number;
  @ApiProperty({ example: 'iotp_alice' }) policyName!: string;
  @ApiProperty({ type: [String], description: 'The sites this document grants', example: ['dock'] }) sites!: string[];
  @ApiProperty({ description: `Characters without whitespace, as AWS counts them (at most ${MAX_POLICY_CHARS})`, example: 903 }) characters!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The IoT policy document' }) document!: Record<string, unknown>;

  static from(policy: CompiledPolicy): EntitlementPolicyDto {
    return {
      slot: policy.slot,
      policyName: policy.policyName,
      sites: policy.sites,
      characters: policySize(policy.document),
      document: policy.document as unknown as Record<string, unknown>,
    };
  }
}

/** What a membership change does to the user's policies in AWS, by policy name. */
export class PolicyChangesDto {
  @ApiProperty({ type: [String], description: 'New policies (CreatePolicy)', example: ['iotp_alice.2'] }) create!: string[];
  @ApiProperty({
    type: [String],
    description:
      "Attached to the user's identity (AttachPolicy); empty while they have not signed in or are disabled: the next sign-in attaches every policy",
    example: ['iotp_alice.2'],
  })
  attach!: string[];
  @ApiProperty({ type: [String], description: 'Given a new default version (CreatePolicyVersion)', example: ['iotp_alice'] }) version!: string[];
  @ApiProperty({ type: [String], description: 'Detached from every target (DetachPolicy)', example: [] }) detach!: string[];
  @ApiProperty({ type: [String], description: 'Deleted once detached (DeletePolicy)', example: [] }) delete!: string[];
  @ApiProperty({ type: [String], description: 'Left as they are', example: [] }) unchanged!: string[];

  static from(plan: MembershipPlan): PolicyChangesDto {
    const create = plan.create.map((policy) => policy.policyName);
    return {
      create,
      attach: plan.attached ? create : [],
      version: plan.version.map((policy) => policy.policyName),
      detach: plan.remove,
      delete: plan.remove,
      unchanged: plan.unchanged,
    };
  }
}

export class MembershipChangeDto {
  @ApiProperty({ example: 'dock' }) site!: string;
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ enum: ROLES, nullable: true, description: 'The role after the change; null once removed', example: 'member' })
  role!: SiteRole | null;
  @ApiProperty({ enum: ROLES, nullable: true, description: 'The role before the change; null if the user was not a member', example: null })
  previousRole!: SiteRole | null;
  @ApiProperty({ description: 'True when nothing was changed (?dryRun=true)', example: false }) dryRun!: boolean;
  @ApiProperty({ type: PolicyChangesDto }) changes!: PolicyChangesDto;
  @ApiProperty({ type: [EntitlementPolicyDto], description: "The user's documents after the change" }) policies!: EntitlementPolicyDto[];
  @ApiProperty({
    description:
      "Whether the change closes the user's live MQTT connection (their access narrowed, and AWS caches policies for minutes); the app reconnects with the new documents",
    example: false,
  })
  closesConnection!: boolean;

  static from(input: { site: string; username: string; plan: MembershipPlan; policies: CompiledPolicy[]; dryRun: boolean }): MembershipChangeDto {
    const { site, username, plan, policies, dryRun } = input;
    return {
      site,
      username,
      role: plan.role,
      previousRole: plan.previousRole,
      dryRun,
      changes: PolicyChangesDto.from(plan),
      policies: policies.map(EntitlementPolicyDto.from),
      closesConnection: plan.cutoff && plan.identityId !== null,
    };
  }
}
