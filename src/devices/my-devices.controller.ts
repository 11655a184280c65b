import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppUserOnly, CurrentUser } from '../auth/decorators.js';
import type { VerifiedUser } from '../auth/token-verifier.js';
import { PageQueryDto } from '../common/http/pagination.js';
import { DevicesService } from './devices.service.js';
import { DevicePageDto } from './dto/device.dto.js';

@ApiTags('me')
@AppUserOnly()
@Controller('me/devices')
export class MyDevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @ApiOperation({
    summary: "The signed-in user's devices",
    description: "Each with its MQTT topic prefix `<user>/<device>/`, which the user's own policy (`<user>/*`) lets the app use.",
  })
  @ApiOkResponse({ type: DevicePageDto })
  list(@CurrentUser() user: VerifiedUser, @Query() query: PageQueryDto): Promise<DevicePageDto> {
    return this.devices.listMine(user, query);
  }
}
