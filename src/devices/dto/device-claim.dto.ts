import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { NAME_MAX_LENGTH, NAME_PATTERN, NAME_RULE } from '../../policy/names.js';
import { CSR_MAX_LENGTH } from './csr.property.js';

const CLAIM_EXAMPLE = 'dc_q3Vh0w8J2xY4m1TzLk9bPa7RcNf6EuSg';

export class CreateDeviceClaimDto {
  @ApiProperty({
    description: `The name the device will have; unique per owner. ${NAME_RULE}`,
    example: 'kettle',
    pattern: NAME_PATTERN.source,
    maxLength: NAME_MAX_LENGTH,
  })
  @IsString()
  @Matches(NAME_PATTERN, { message: `name must be ${NAME_RULE}` })
  name!: string;
}

export class DeviceClaimDto {
  @ApiProperty({
    description: 'Single use, 256 random bits, URL-safe. Hand it to the device; it is shown only here (the service keeps its SHA-256).',
    example: CLAIM_EXAMPLE,
  })
  claim!: string;

  @ApiProperty({ description: 'After this the claim is refused (DEVICE_CLAIM_TTL_SECONDS after it was issued)', example: '2026-12-01T12:10:00.000Z' })
  expiresAt!: Date;
}

export class RedeemDeviceClaimDto {
  @ApiProperty({ description: 'The claim from POST /v1/me/device-claims', example: CLAIM_EXAMPLE, maxLength: 128 })
  @IsString()
  @MaxLength(128)
  claim!: string;

  @ApiProperty({
    description:
      'A PEM PKCS#10 certificate signing request made on the device (RSA of at least 2048 bits or EC P-256/P-384, self-signed with ' +
      'SHA-256 or stronger). Required: the private key never leaves the device.',
    example: '-----BEGIN CERTIFICATE REQUEST-----\nMIHzMIGaAgEAMBYxFDASBgNVBAMMC3Rlc3QtZGV2aWNl...\n-----END CERTIFICATE REQUEST-----\n',
    maxLength: CSR_MAX_LENGTH,
  })
  @IsString()
  @MaxLength(CSR_MAX_LENGTH)
  csr!: string;
}

export class AppIssueCertificateDto {
  @ApiProperty({
    description: 'A PEM PKCS#10 certificate signing request made on the device. Required: the app never receives a private key.',
    example: '-----BEGIN CERTIFICATE REQUEST-----\nMIHzMIGaAgEAMBYxFDASBgNVBAMMC3Rlc3QtZGV2aWNl...\n-----END CERTIFICATE REQUEST-----\n',
    maxLength: CSR_MAX_LENGTH,
  })
  @IsString()
  @MaxLength(CSR_MAX_LENGTH)
  csr!: string;
}
