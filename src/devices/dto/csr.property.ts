import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * AWS's own limit: CreateCertificateFromCsr's certificateSigningRequest is at most 4,096 characters
 * (botocore iot 2015-05-28, shape CertificateSigningRequest). An RSA 4096 request is about 1,700.
 */
export const CSR_MAX_LENGTH = 4096;

/** The optional `csr` of registration and rotation; its content is checked by validateCsr (INVALID_CSR). */
export const CsrProperty = () =>
  applyDecorators(
    ApiPropertyOptional({
      description:
        'A PEM PKCS#10 certificate signing request made on the device: RSA of at least 2048 bits or EC P-256/P-384, ' +
        'self-signed with SHA-256 or stronger. With it the private key never leaves the device. Without it AWS generates ' +
        'a key pair and the private key is returned once, in this response only.',
      example: '-----BEGIN CERTIFICATE REQUEST-----\nMIHzMIGaAgEAMBYxFDASBgNVBAMMC3Rlc3QtZGV2aWNl...\n-----END CERTIFICATE REQUEST-----\n',
      maxLength: CSR_MAX_LENGTH,
    }),
    IsOptional(),
    IsString(),
    MaxLength(CSR_MAX_LENGTH),
  );
