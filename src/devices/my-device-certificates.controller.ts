import { Body, Controller, Delete, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AppUserOnly, CurrentUser } from '../auth/decorators.js';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { DeviceCertificatesService } from './device-certificates.service.js';
import { AWS_FAILED } from './devices.controller.js';
import { AppIssueCertificateDto } from './dto/device-claim.dto.js';
import { RevokeCertificateQueryDto } from './dto/device-requests.dto.js';
import { IssuedCertificateDto } from './dto/device.dto.js';

const NOT_PROVISIONED = { description: 'FORBIDDEN: the user is disabled, or was not provisioned by this service' };

@ApiTags('me')
@AppUserOnly()
@Controller('me/devices/:name/certificates')
export class MyDeviceCertificatesController {
  constructor(private readonly certificates: DeviceCertificatesService) {}

  @Post()
  @Idempotent()
  @ApiOperation({
    summary: "Rotate one of the signed-in user's devices: another certificate from the device's CSR",
    description: 'As the admin route: the new certificate is ACTIVE beside the old one until that is revoked. A CSR is required.',
  })
  @ApiCreatedResponse({ type: IssuedCertificateDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: the caller has no device of that name' })
  @ApiBadRequestResponse({ description: 'INVALID_CSR (details.reason says why) or VALIDATION_FAILED' })
  @ApiForbiddenResponse(NOT_PROVISIONED)
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  issue(@CurrentUser() user: VerifiedUser, @Param('name') name: string, @Body() body: AppIssueCertificateDto): Promise<IssuedCertificateDto> {
    return this.certificates.issueMine(user, name, body.csr);
  }

  @Delete(':certificateId')
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke a certificate of one of the signed-in user's devices",
    description: 'As the admin route; the last certificate only with force=true.',
  })
  @ApiNoContentResponse({ description: 'Revoked and deleted' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: the caller has no device of that name, or the certificate is not one of its certificates' })
  @ApiConflictResponse({ description: "CONFLICT (details.reason LAST_CERTIFICATE): it is the device's last certificate and force is not set" })
  @ApiForbiddenResponse(NOT_PROVISIONED)
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  async revoke(
    @CurrentUser() user: VerifiedUser,
    @Param('name') name: string,
    @Param('certificateId') certificateId: string,
    @Query() query: RevokeCertificateQueryDto,
  ): Promise<void> {
    await this.certificates.revokeMine(user, name, certificateId, query.force ?? false);
  }
}
