import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { PageDto } from '../../common/http/pagination.js';
import { NAME_PATTERN, NAME_RULE, siteCommandsPrefix, siteTopicPrefix } from '../../policy/names.js';
import type { SiteWithCounts } from '../sites.repository.js';

export class CreateSiteDto {
  @ApiProperty({ description: `The site's name, also its topic level (_sites/<name>/): ${NAME_RULE}`, example: 'dock', pattern: NAME_PATTERN.source })
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name!: string;
}

export class SiteDto {
  @ApiProperty({ example: 'dock' }) name!: string;
  @ApiProperty({ description: "Members subscribe to `<topicPrefix>#`: everything the site's devices publish", example: '_sites/dock/' })
  topicPrefix!: string;
  @ApiProperty({ description: 'Operators publish commands under this prefix (`<commandsPrefix><device>/...`)', example: '_sites/dock/_cmd/' })
  commandsPrefix!: string;
  @ApiProperty({ example: 2 }) memberCount!: number;
  @ApiProperty({ example: 0 }) deviceCount!: number;
  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'Set when a deletion started; such a site takes no new members or devices and can only be deleted',
    example: null,
  })
  deletionStartedAt!: Date | null;
  @ApiProperty({ example: '2026-12-02T10:00:00.000Z' }) createdAt!: Date;

  static from(site: SiteWithCounts): SiteDto {
    return {
      name: site.name,
      topicPrefix: siteTopicPrefix(site.name),
      commandsPrefix: siteCommandsPrefix(site.name),
      memberCount: site.memberCount,
      deviceCount: site.deviceCount,
      deletionStartedAt: site.deletionStartedAt,
      createdAt: site.createdAt,
    };
  }
}

export class SitePageDto extends PageDto {
  @ApiProperty({ type: [SiteDto] }) items!: SiteDto[];
}
