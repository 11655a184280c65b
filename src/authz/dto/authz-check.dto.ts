import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { CHECK_ACTIONS, POLICY_SOURCES, PRINCIPAL_TYPES, type CheckAction, type PolicySource, type PrincipalType } from '../check-request.js';

export class PrincipalRefDto {
  @ApiProperty({ enum: PRINCIPAL_TYPES, description: 'An app user or a device', example: 'user' })
  @IsIn(PRINCIPAL_TYPES)
  type!: PrincipalType;

  @ApiProperty({
    description: "The username for a user; the thing name for a device (a user's or a site's)",
    example: 'alice',
    minLength: 1,
    maxLength: 128,
  })
  @IsString()
  @Length(1, 128)
  name!: string;
}

export class AuthzCheckDto {
  @ApiProperty({ type: PrincipalRefDto, description: 'Whose attached policy to evaluate' })
  @IsObject()
  @ValidateNested()
  @Type(() => PrincipalRefDto)
  principal!: PrincipalRefDto;

  @ApiPropertyOptional({
    description:
      'The MQTT client id of the connection (feeds ${iot:ClientId}). Default: the resource for connect, ' +
      "otherwise the principal's own client id (username, or thing name)",
    example: 'alice.tablet',
    minLength: 1,
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  clientId?: string;

  @ApiProperty({ enum: CHECK_ACTIONS, description: 'The MQTT action to check', example: 'publish' })
  @IsIn(CHECK_ACTIONS)
  action!: CheckAction;

  @ApiProperty({
    description:
      'A client id (connect), topic (publish, receive) or topic filter (subscribe); a bare name, or a full ' +
      'arn:aws:iot:<region>:<account>:client|topic|topicfilter/... ARN',
    example: 'alice/telemetry',
    minLength: 1,
    maxLength: 2048,
  })
  @IsString()
  @Length(1, 2048)
  resource!: string;

  @ApiPropertyOptional({
    enum: POLICY_SOURCES,
    default: 'expected',
    description:
      "expected: the documents this service generates for the principal (for a user, compiled from their own grant and their sites' memberships). " +
      'aws: what AWS holds, the default version of each policy ' +
      "attached to the user's Cognito identity (ListAttachedPolicies, GetPolicy), or of the device's policy (GetPolicy), which may have been edited by hand",
  })
  @IsOptional()
  @IsIn(POLICY_SOURCES)
  source?: PolicySource;
}

export class AuthzCheckResponseDto {
  @ApiProperty({ description: 'True when AWS IoT would allow the action', example: true })
  allowed!: boolean;

  @ApiProperty({ enum: ['ALLOW', 'EXPLICIT_DENY', 'IMPLICIT_DENY'], example: 'ALLOW' })
  decision!: 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

  @ApiProperty({
    description:
      "The principal's own policy, for denials too: the device's, or a user's first (<prefix>_<user>); a user in sites may hold more, see evaluatedPolicies",
    example: 'iotp_alice',
  })
  policyName!: string;

  @ApiPropertyOptional({ description: 'The 0-based statement that decided, in decidingPolicy; absent for an implicit deny', example: 1 })
  statementIndex?: number;

  @ApiPropertyOptional({ description: 'The policy whose statement decided; absent for an implicit deny', example: 'iotp_alice.2' })
  decidingPolicy?: string;

  @ApiProperty({
    description: 'Why, in one sentence',
    example: 'Allowed by Statement[1] of policy iotp_alice: iot:Publish on arn:aws:iot:eu-west-1:123456789012:topic/alice/telemetry.',
  })
  explanation!: string;

  @ApiProperty({ enum: POLICY_SOURCES, description: 'Which documents were evaluated: the generated ones, or those AWS holds', example: 'expected' })
  source!: PolicySource;

  @ApiProperty({
    type: [String],
    description:
      "Every policy evaluated: source expected, the user's compiled documents (<prefix>_<user>, then <prefix>_<user>.2.. for sites) or the device's; " +
      'source aws, the policies read from AWS',
    example: ['iotp_alice', 'iotp_alice.2'],
  })
  evaluatedPolicies!: string[];
}
