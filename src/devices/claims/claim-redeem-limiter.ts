import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { DeviceClaimsRepository } from './device-claims.repository.js';

/** Pruning is housekeeping: once a minute per replica is plenty. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Limits failed claim redemptions per client address over a sliding window, counted in Postgres
 * as the sign-in limiter counts failed sign-ins, so the limit holds across replicas. A claim has
 * 128 random bits, so the limit is not what keeps claims from being guessed; it keeps one address
 * from hammering the route (each try costs a CSR parse and a query).
 */
@Injectable()
export class ClaimRedeemLimiter {
  private lastPrune = 0;

  constructor(
    private readonly claims: DeviceClaimsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Throws RATE_LIMITED (with Retry-After) once the address has used up its failures. */
  async check(address: string): Promise<void> {
    const { maxFailuresPerAddress, windowSeconds } = this.config.deviceClaims;
    const { failures, retryAfterSeconds } = await this.claims.recentFailures(address, maxFailuresPerAddress, windowSeconds);
    if (failures >= maxFailuresPerAddress) {
      throw new DomainError('RATE_LIMITED', 'Too many failed claim redemptions; retry later', undefined, retryAfterSeconds);
    }
  }

  async recordFailure(address: string): Promise<void> {
    await this.claims.recordFailure(address);
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.claims.pruneFailuresOlderThan(this.config.deviceClaims.windowSeconds);
      await this.claims.pruneExpired(new Date());
    }
  }
}
