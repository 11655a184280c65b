import { Body, Controller, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AppUserOnly, CurrentUser } from '../../auth/decorators.js';
import type { VerifiedUser } from '../../auth/token-verifier.js';
import { AWS_FAILED } from '../devices.controller.js';
import { CreateDeviceClaimDto, DeviceClaimDto, RedeemDeviceClaimDto } from '../dto/device-claim.dto.js';
import { RegisteredDeviceDto } from '../dto/device.dto.js';
import { DeviceClaimsService } from './device-claims.service.js';

const DEVICE_LIMIT =
  'CONFLICT: the user already has a device of that name, or (details.reason DEVICE_LIMIT, details.limit) MAX_DEVICES_PER_USER devices';

@ApiTags('device-claims')
@Controller()
export class DeviceClaimsController {
  constructor(private readonly claims: DeviceClaimsService) {}

  @Post('me/device-claims')
  @AppUserOnly()
  @ApiOperation({
    summary: "A single-use claim with which a device registers itself as the signed-in user's device",
    description: 'The claim is bound to the caller and the device name and expires after DEVICE_CLAIM_TTL_SECONDS. Only its SHA-256 is stored.',
  })
  @ApiCreatedResponse({ type: DeviceClaimDto })
  @ApiForbiddenResponse({
    description: 'FORBIDDEN: the user is disabled or not provisioned here, or (details.reason DEVICE_CLAIMS_DISABLED) self-onboarding is off',
  })
  @ApiConflictResponse({ description: DEVICE_LIMIT })
  issue(@CurrentUser() user: VerifiedUser, @Body() body: CreateDeviceClaimDto): Promise<DeviceClaimDto> {
    return this.claims.issue(user, body.name);
  }

  @Post('device-claims/redeem')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: "Redeem a claim with the device's CSR: the device is registered for the claim's user",
    description:
      'No other credentials: the claim (in the body, never in a URL) is the credential. Answers as an admin registration does ' +
      '(certificate and MQTT settings), never with a private key. A registration that fails leaves the claim unspent.',
  })
  @ApiCreatedResponse({ type: RegisteredDeviceDto })
  @ApiBadRequestResponse({ description: 'INVALID_CSR (the claim stays unspent) or VALIDATION_FAILED' })
  @ApiUnauthorizedResponse({ description: 'INVALID_CLAIM: one answer for an unknown, spent, expired or foreign claim' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN (details.reason DEVICE_CLAIMS_DISABLED): self-onboarding is off' })
  @ApiConflictResponse({ description: DEVICE_LIMIT })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: too many failed redemptions from the address; see Retry-After' })
  @ApiServiceUnavailableResponse({ description: AWS_FAILED })
  redeem(@Body() body: RedeemDeviceClaimDto, @Ip() address: string): Promise<RegisteredDeviceDto> {
    return this.claims.redeem(body.claim, body.csr, address);
  }
}
