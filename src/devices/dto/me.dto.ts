import { ApiProperty } from '@nestjs/swagger';
import type { SiteRole } from '../../policy/entitlements.js';
import { DevicePageDto } from './device.dto.js';

export class MySiteDto {
  @ApiProperty({ description: 'The site', example: 'warehouse' }) name!: string;

  @ApiProperty({
    enum: ['member', 'operator'],
    description: "member: subscribe to and receive everything the site's devices publish; operator: also publish their commands",
    example: 'member',
  })
  role!: SiteRole;

  @ApiProperty({
    description:
      "Every topic of the site starts here: subscribe to `<topicPrefix>#`; each device publishes under `<topicPrefix><device>/`, and an operator's commands go to `<topicPrefix>_cmd/<device>/`",
    example: '_sites/warehouse/',
  })
  topicPrefix!: string;
}

export class MeDto {
  @ApiProperty({ example: 'alice' }) username!: string;

  @ApiProperty({ description: "The user's own topics, and their devices', start here", example: 'alice/' })
  topicPrefix!: string;

  @ApiProperty({ type: [MySiteDto], description: 'The sites the user belongs to, by name; a site being deleted is left out' })
  sites!: MySiteDto[];

  @ApiProperty({ type: DevicePageDto, description: "The first page of the user's devices; GET /v1/me/devices?cursor= pages on" })
  devices!: DevicePageDto;
}
