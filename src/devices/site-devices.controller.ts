import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '../auth/decorators.js';
import { PageQueryDto } from '../common/http/pagination.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { AWS_FAILED } from './devices.controller.js';
import { CreateSiteDeviceDto } from './dto/device-requests.dto.js';
import { DeviceDto, DevicePageDto, RegisteredDeviceDto } from './dto/device.dto.js';
import { SiteDevicesService } from './site-devices.service.js';

const REGISTER_DESCRIPTION = [
  "As a user's device (thing, ACTIVE certificate from `csr` or generated, device policy, both attachments, undone on failure),",
  'with the site as owner: thing, policy and client id `<prefix>-site_<site>_<device>`, thing attributes site and device.',
  '',
  'The device policy allows exactly: iot:Connect as client `<thing name>`; iot:Publish on `_sites/<site>/<device>/*`;',
  "iot:Subscribe and iot:Receive on `_sites/<site>/_cmd/<device>/*`, where the site's operators send it commands.",
  "It hears neither its siblings nor any user's topics; the site's members receive what it publishes.",
].join('\n');

const NO_SITE = { description: 'NOT_FOUND: no such site' };

@ApiTags('sites')
@AdminOnly()
@Controller('sites/:site/devices')
export class SiteDevicesController {
  constructor(private readonly devices: SiteDevicesService) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: "Register a site's device: thing, certificate and least-privilege policy", description: REGISTER_DESCRIPTION })
  @ApiCreatedResponse({ type: RegisteredDeviceDto })
  @ApiNotFoundResponse(NO_SITE)
  @ApiBadRequestResponse({ description: 'INVALID_CSR (details.reason says why) or VALIDATION_FAILED' })
  @ApiConflictResponse({
    description:
      'CONFLICT: the site already has a device of that name, or MAX_DEVICES_PER_SITE devices (details.reason DEVICE_LIMIT), ' +
      'or its deletion has started (details.reason SITE_BEING_DELETED); OPERATION_IN_PROGRESS: it is being registered',
  })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  register(@Param('site') site: string, @Body() body: CreateSiteDeviceDto): Promise<RegisteredDeviceDto> {
    return this.devices.register(site, body);
  }

  @Get()
  @ApiOperation({ summary: "A site's devices by name, with certificates, expiry and MQTT settings" })
  @ApiOkResponse({ type: DevicePageDto })
  @ApiNotFoundResponse(NO_SITE)
  list(@Param('site') site: string, @Query() query: PageQueryDto): Promise<DevicePageDto> {
    return this.devices.list(site, query);
  }

  @Get(':name')
  @ApiOperation({ summary: "One of a site's devices, with certificates, expiry and MQTT settings" })
  @ApiOkResponse({ type: DeviceDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site, or it has no device of that name' })
  get(@Param('site') site: string, @Param('name') name: string): Promise<DeviceDto> {
    return this.devices.get(site, name);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({
    summary: "Delete one of a site's devices completely",
    description: "As DELETE /v1/devices/{thingName}: AWS's order, the policy last; a deletion that stopped mid-way is finished by repeating it.",
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such site, or it has no device of that name (or it is already deleted)' })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  async delete(@Param('site') site: string, @Param('name') name: string): Promise<void> {
    await this.devices.delete(site, name);
  }
}
