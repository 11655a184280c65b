import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { DeviceCertificatesService } from './device-certificates.service.js';
import { ExpiringCertificatePageDto, ExpiringCertificatesQueryDto } from './dto/expiring-certificates.dto.js';

@ApiTags('devices')
@AdminOnly()
@Controller('admin/certificates')
export class ExpiringCertificatesController {
  constructor(private readonly certificates: DeviceCertificatesService) {}

  @Get()
  @ApiOperation({
    summary: 'Certificates of every device that expire within N days, oldest notAfter first',
    description: 'For planning rotations: each with its device and owner. Paginated as the other lists.',
  })
  @ApiOkResponse({ type: ExpiringCertificatePageDto })
  list(@Query() query: ExpiringCertificatesQueryDto): Promise<ExpiringCertificatePageDto> {
    return this.certificates.expiring(query);
  }
}
