import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { PageDto, PageQueryDto } from '../../common/http/pagination.js';
import type { ExpiringCertificate } from '../devices.repository.js';

export class ExpiringCertificatesQueryDto extends PageQueryDto {
  @ApiProperty({
    description: 'Certificates whose notAfter is less than this many days from now (0: already expired)',
    minimum: 0,
    maximum: 36500,
    example: 30,
  })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(36500)
  expiringWithinDays!: number;
}

export class ExpiringCertificateDto {
  @ApiProperty({ description: 'AWS IoT certificate id', example: '4f1c0e6a2b9d8c7e5f3a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e' })
  certificateId!: string;
  @ApiProperty({ example: '2027-01-15T00:00:00.000Z' }) notAfter!: Date;
  @ApiProperty({ enum: ['ACTIVE', 'INACTIVE', 'REVOKED'], example: 'ACTIVE' }) status!: string;
  @ApiProperty({ example: 'iotp_alice_scanner-1' }) thingName!: string;
  @ApiProperty({ example: 'scanner-1' }) deviceName!: string;
  @ApiProperty({ description: "Username of the device's owner; for a site's device, the site's name", example: 'alice' }) owner!: string;

  static from(certificate: ExpiringCertificate): ExpiringCertificateDto {
    const { certificateId, notAfter, status, thingName, deviceName, owner } = certificate;
    return { certificateId, notAfter, status, thingName, deviceName, owner };
  }
}

export class ExpiringCertificatePageDto extends PageDto {
  @ApiProperty({ type: [ExpiringCertificateDto], description: 'Oldest notAfter first' }) items!: ExpiringCertificateDto[];
}
