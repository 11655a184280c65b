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
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { PageQueryDto } from '../common/http/pagination.js';
import { DevicesService } from './devices.service.js';
import { CreateDeviceDto } from './dto/device-requests.dto.js';
import { DeviceDto, DevicePageDto, RegisteredDeviceDto } from './dto/device.dto.js';

export const AWS_FAILED =
  'AWS_THROTTLED or AWS_UNAVAILABLE: AWS refused or failed; nothing is left half-done (a deletion is finished by repeating it)';

const REGISTER_DESCRIPTION = [
  'Creates the device policy, the thing (attributes owner and device), an ACTIVE X.509 certificate, attaches the policy',
  'and the thing to the certificate, then records the device. If any step fails, the steps done are undone.',
  '',
  "With `csr` the certificate is issued from the device's request (CreateCertificateFromCsr) and the private key never leaves",
  'the device; a malformed or weak request is 400 INVALID_CSR before any AWS call. Without it AWS generates the key pair',
  '(CreateKeysAndCertificate) and `privateKey` is in this response only: it is never stored or logged.',
  '',
  'The device policy allows exactly: iot:Connect as client `<thing name>`; iot:Publish and iot:Receive on `<user>/<device>/*`;',
  "iot:Subscribe to `<user>/<device>/*`. A device cannot reach a sibling device of the same owner. The owner's own user",
  "policy covers `<user>/*`, so the owner's app can talk to all of its devices.",
].join('\n');

@ApiTags('devices')
@AdminOnly()
@Controller()
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Post('users/:username/devices')
  @Idempotent()
  @ApiOperation({ summary: 'Register a device for a user: thing, certificate and least-privilege policy', description: REGISTER_DESCRIPTION })
  @ApiCreatedResponse({ type: RegisteredDeviceDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  @ApiBadRequestResponse({ description: 'INVALID_CSR (details.reason says why) or VALIDATION_FAILED' })
  @ApiConflictResponse({ description: 'CONFLICT: the user already has a device of that name; OPERATION_IN_PROGRESS: it is being registered' })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  register(@Param('username') username: string, @Body() body: CreateDeviceDto): Promise<RegisteredDeviceDto> {
    return this.devices.register(username, body);
  }

  @Get('users/:username/devices')
  @ApiOperation({ summary: "A user's devices by name, with certificates, expiry and MQTT settings" })
  @ApiOkResponse({ type: DevicePageDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such user' })
  list(@Param('username') username: string, @Query() query: PageQueryDto): Promise<DevicePageDto> {
    return this.devices.listOfOwner(username, query);
  }

  @Get('devices/:thingName')
  @ApiOperation({ summary: 'One device, with certificates, expiry and MQTT settings' })
  @ApiOkResponse({ type: DeviceDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such device' })
  get(@Param('thingName') thingName: string): Promise<DeviceDto> {
    return this.devices.get(thingName);
  }

  @Delete('devices/:thingName')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a device completely',
    description:
      'Detaches certificates and policy, sets each certificate INACTIVE and deletes it, deletes the policy (all versions) and the thing, ' +
      'then the records. If AWS fails mid-way, the records stay and the same request finishes the job.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such device (or already deleted)' })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  async delete(@Param('thingName') thingName: string): Promise<void> {
    await this.devices.delete(thingName);
  }
}
