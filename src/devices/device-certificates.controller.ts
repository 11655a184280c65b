import { Body, Controller, Delete, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { DeviceCertificatesService } from './device-certificates.service.js';
import { AWS_FAILED } from './devices.controller.js';
import { IssueCertificateDto, RevokeCertificateQueryDto } from './dto/device-requests.dto.js';
import { IssuedCertificateDto } from './dto/device.dto.js';

@ApiTags('devices')
@AdminOnly()
@Controller('devices/:thingName/certificates')
export class DeviceCertificatesController {
  constructor(private readonly certificates: DeviceCertificatesService) {}

  @Post()
  @Idempotent()
  @ApiOperation({
    summary: 'Rotate: issue another certificate for the device',
    description:
      'The new certificate is ACTIVE and attached to the same policy and thing. The old one stays valid until it is revoked, ' +
      'so the device can switch over without a gap. Without `csr`, `privateKey` is in this response only.',
  })
  @ApiCreatedResponse({ type: IssuedCertificateDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such device' })
  @ApiBadRequestResponse({ description: 'INVALID_CSR (details.reason says why) or VALIDATION_FAILED' })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  issue(@Param('thingName') thingName: string, @Body() body: IssueCertificateDto): Promise<IssuedCertificateDto> {
    return this.certificates.issue(thingName, body.csr);
  }

  @Delete(':certificateId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke a certificate',
    description: 'Detaches it from thing and policy, marks it REVOKED and deletes it. The last certificate of a device is kept unless force=true.',
  })
  @ApiNoContentResponse({ description: 'Revoked and deleted' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such device, or the certificate is not one of its certificates' })
  @ApiConflictResponse({ description: "CONFLICT (details.reason LAST_CERTIFICATE): it is the device's last certificate and force is not set" })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  async revoke(
    @Param('thingName') thingName: string,
    @Param('certificateId') certificateId: string,
    @Query() query: RevokeCertificateQueryDto,
  ): Promise<void> {
    await this.certificates.revoke(thingName, certificateId, query.force ?? false);
  }
}
