import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { VerifiedUser } from '../../auth/token-verifier.js';
import { validateCsr } from '../../certificates/csr.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { thingName } from '../../policy/names.js';
import { appOwner } from '../app-user.js';
import { DevicesRepository } from '../devices.repository.js';
import { DevicesService, userOwner } from '../devices.service.js';
import type { DeviceClaimDto } from '../dto/device-claim.dto.js';
import type { RegisteredDeviceDto } from '../dto/device.dto.js';
import { ClaimRedeemLimiter } from './claim-redeem-limiter.js';
import { DeviceClaimsRepository } from './device-claims.repository.js';

/** `dc_` and 32 random bytes, base64url: 256 bits, safe in any URL or QR code, recognisable in a leak scan. */
const CLAIM_PREFIX = 'dc_';
const CLAIM_PATTERN = /^dc_[A-Za-z0-9_-]{43}$/;

/** One answer for every claim that cannot be redeemed: unknown, spent, expired, or of a user who is no longer active. */
const invalidClaim = () => new DomainError('INVALID_CLAIM', 'The claim is not valid');

const hashOf = (claim: string) => createHash('sha256').update(claim).digest('hex');

/**
 * Self-onboarding ("fleet provisioning by trusted user"): the signed-in app asks for a claim bound to
 * itself and a device name; the device redeems it once with its own CSR and gets what an admin's
 * registration answers, through the same registration operation.
 */
@Injectable()
export class DeviceClaimsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly claims: DeviceClaimsRepository,
    private readonly devices: DevicesRepository,
    private readonly registration: DevicesService,
    private readonly limiter: ClaimRedeemLimiter,
  ) {}

  async issue(caller: VerifiedUser, name: string): Promise<DeviceClaimDto> {
    this.assertEnabled();
    const owner = appOwner(await this.devices.findOwner(caller.username), caller);
    // Early answers for what registration would refuse anyway; registration checks both again.
    if (await this.devices.isTaken({ kind: 'user', id: owner.id }, name, thingName(this.config.resourcePrefix, owner.username, name))) {
      throw DomainError.conflict(`User ${owner.username} already has a device named ${name}`, { username: owner.username, name });
    }
    const limit = this.config.devices.maxPerUser;
    if ((await this.devices.countOfOwner({ kind: 'user', id: owner.id })) >= limit) {
      throw DomainError.conflict(`User ${owner.username} already has ${limit} devices, the most one user may have`, {
        username: owner.username,
        reason: 'DEVICE_LIMIT',
        limit,
      });
    }
    const claim = CLAIM_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.deviceClaims.ttlSeconds * 1000);
    await this.claims.create({ id: randomUUID(), tokenHash: hashOf(claim), userId: owner.id, name, expiresAt });
    return { claim, expiresAt };
  }

  async redeem(claim: string, csr: string, address: string): Promise<RegisteredDeviceDto> {
    this.assertEnabled();
    await this.limiter.check(address);
    // Before the claim is touched: a CSR that does not verify, or whose key is in use, leaves the claim unspent.
    await this.devices.assertPublicKeyUnused(validateCsr(csr).fingerprint);
    const spent = CLAIM_PATTERN.test(claim) ? await this.claims.spend(hashOf(claim), new Date()) : null;
    if (!spent) {
      await this.limiter.recordFailure(address);
      throw invalidClaim();
    }
    try {
      const owner = await this.devices.findOwner(spent.username);
      if (!owner) throw invalidClaim();
      return await this.registration.registerFor(userOwner(owner), { name: spent.name, csr });
    } catch (error) {
      // Nothing was registered (the operation undid what it did): the device may try again while the claim lasts.
      await this.claims.release(spent.id);
      throw error;
    }
  }

  private assertEnabled(): void {
    if (!this.config.deviceClaims.enabled) {
      throw new DomainError('FORBIDDEN', 'Self-onboarding with device claims is turned off', { reason: 'DEVICE_CLAIMS_DISABLED' });
    }
  }
}
