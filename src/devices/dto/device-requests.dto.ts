import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { NAME_MAX_LENGTH, NAME_PATTERN, NAME_RULE } from '../../policy/names.js';
import { CsrProperty } from './csr.property.js';
import { IsThingAttributes, MAX_EXTRA_ATTRIBUTES } from './thing-attributes.js';

export class CreateDeviceDto {
  @ApiProperty({
    description: `Unique per owner; part of the thing name, client id, policy name and topics. ${NAME_RULE}`,
    example: 'scanner-1',
    pattern: NAME_PATTERN.source,
    maxLength: NAME_MAX_LENGTH,
  })
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name!: string;

  @CsrProperty()
  csr?: string;

  @ApiPropertyOptional({
    description:
      `At most ${MAX_EXTRA_ATTRIBUTES} extra thing attribute (AWS allows 3 on a thing without a type; the service sets owner and device). ` +
      'Names of 1-128 and values of 1-800 characters of letters, digits and _.,@/:#-',
    example: { site: 'lab-3' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsThingAttributes()
  attributes?: Record<string, string>;
}

export class CreateSiteDeviceDto {
  @ApiProperty({
    description: `Unique within the site; part of the thing name, client id, policy name and topics. ${NAME_RULE}`,
    example: 'scanner-1',
    pattern: NAME_PATTERN.source,
    maxLength: NAME_MAX_LENGTH,
  })
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name!: string;

  @CsrProperty()
  csr?: string;

  @ApiPropertyOptional({
    description:
      `At most ${MAX_EXTRA_ATTRIBUTES} extra thing attribute (AWS allows 3 on a thing without a type; the service sets site and device). ` +
      'Names of 1-128 and values of 1-800 characters of letters, digits and _.,@/:#-',
    example: { dock: 'd7' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsThingAttributes('site')
  attributes?: Record<string, string>;
}

export class IssueCertificateDto {
  @CsrProperty()
  csr?: string;
}

export class RevokeCertificateQueryDto {
  @ApiPropertyOptional({ description: 'Allow revoking the last certificate, leaving the device unable to connect', example: false, default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  force?: boolean;
}
