import { ApiProperty } from '@nestjs/swagger';
import type { CompiledPolicy, SiteGrant, SiteRole } from '../../policy/entitlements.js';
import { MAX_POLICY_CHARS } from '../../policy/documents.js';
import { MAX_POLICIES_PER_PRINCIPAL, siteTopicPrefix } from '../../policy/names.js';
import { EntitlementPolicyDto } from './membership.dto.js';

export class SiteGrantDto {
  @ApiProperty({ example: 'dock' }) name!: string;
  @ApiProperty({ enum: ['member', 'operator'], example: 'member' }) role!: SiteRole;
  @ApiProperty({ description: 'The app subscribes to `<topicPrefix>#`', example: '_sites/dock/' }) topicPrefix!: string;
}

export class EntitlementLimitsDto {
  @ApiProperty({ description: 'IoT policies AWS lets one Cognito identity hold', example: MAX_POLICIES_PER_PRINCIPAL }) maxPolicies!: number;
  @ApiProperty({ description: 'Characters of one policy document, whitespace excluded', example: MAX_POLICY_CHARS }) maxPolicyCharacters!: number;
}

/** What a user's identity holds (and the custom authorizer answers): their compiled IoT policies. */
export class UserEntitlementsDto {
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ type: [SiteGrantDto], description: 'The sites the documents grant, by name' }) sites!: SiteGrantDto[];
  @ApiProperty({ type: [EntitlementPolicyDto], description: 'Slot 1 first' }) policies!: EntitlementPolicyDto[];
  @ApiProperty({ type: EntitlementLimitsDto }) limits!: EntitlementLimitsDto;

  static from(username: string, grants: SiteGrant[], policies: CompiledPolicy[]): UserEntitlementsDto {
    return {
      username,
      sites: grants.map((grant) => ({ name: grant.site, role: grant.role, topicPrefix: siteTopicPrefix(grant.site) })),
      policies: policies.map(EntitlementPolicyDto.from),
      limits: { maxPolicies: MAX_POLICIES_PER_PRINCIPAL, maxPolicyCharacters: MAX_POLICY_CHARS },
    };
  }
}
