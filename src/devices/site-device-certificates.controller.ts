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
import { AWS_FAILED } from './devices.controller.js';
import { IssueCertificateDto, RevokeCertificateQueryDto } from './dto/device-requests.dto.js';
import { IssuedCertificateDto } from './dto/device.dto.js';
import { SiteDevicesService } from './site-devices.service.js';

@ApiTags('sites')
@AdminOnly()
@Controller('sites/:site/devices/:name/certificates')
export class SiteDeviceCertificatesController {
  constructor(private readonly devices: SiteDevicesService) {}

  @Post()
  @Idempotent()
  @ApiOperation({
    summary: "Rotate: issue another certificate for one of a site's devices",
    description:
      "As for a user's device: the new certificate is ACTIVE and attached to the same policy and thing, the old one stays valid " +
      'until it is revoked. Without `csr`, `privateKey` is in this response only.',
  })
  @ApiCreatedResponse({ type: IssuedCertificateDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site, or it has no device of that name' })
  @ApiBadRequestResponse({ description: 'INVALID_CSR (details.reason says why) or VALIDATION_FAILED' })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  issue(@Param('site') site: string, @Param('name') name: string, @Body() body: IssueCertificateDto): Promise<IssuedCertificateDto> {
    return this.devices.issueCertificate(site, name, body.csr);
  }

  @Delete(':certificateId')
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke a certificate of one of a site's devices",
    description: 'Detaches it from thing and policy, marks it REVOKED and deletes it. The last certificate of a device is kept unless force=true.',
  })
  @ApiNoContentResponse({ description: 'Revoked and deleted' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site or device, or the certificate is not one of its certificates' })
  @ApiConflictResponse({ description: "CONFLICT (details.reason LAST_CERTIFICATE): it is the device's last certificate and force is not set" })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  async revoke(
    @Param('site') site: string,
    @Param('name') name: string,
    @Param('certificateId') certificateId: string,
    @Query() query: RevokeCertificateQueryDto,
  ): Promise<void> {
    await this.devices.revokeCertificate(site, name, certificateId, query.force ?? false);
  }
}
