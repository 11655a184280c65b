import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../persistence/prisma.service.js';

export interface NewDeviceClaim {
  id: string;
  tokenHash: string;
  userId: string;
  name: string;
  expiresAt: Date;
}

/** A claim that one redemption has just spent: whose it is and which device it registers. */
export interface SpentClaim {
  id: string;
  userId: string;
  username: string;
  name: string;
}

export interface AddressFailures {
  failures: number;
  /** Seconds until the count drops below the limit; meaningful only when failures reached it. */
  retryAfterSeconds: number;
}

/** Device claims (by the SHA-256 of the claim, never the claim itself) and failed redemptions per address. */
@Injectable()
export class DeviceClaimsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(claim: NewDeviceClaim): Promise<void> {
    await this.prisma.deviceClaim.create({ data: claim });
  }

  /**
   * Spends the claim if it is unspent, unexpired at `now` and its owner is still active: one UPDATE,
   * so of two concurrent redemptions exactly one gets the row. Anything else answers null, whatever the reason.
   */
  async spend(tokenHash: string, now: Date): Promise<SpentClaim | null> {
    const [row] = await this.prisma.$queryRaw<SpentClaim[]>`
      UPDATE device_claims c SET redeemed_at = ${now}
      FROM users u
      WHERE c.token_hash = ${tokenHash} AND c.redeemed_at IS NULL AND c.expires_at > ${now}
        AND u.id = c.user_id AND u.status = 'ACTIVE'
      RETURNING c.id, c.user_id AS "userId", u.username, c.name`;
    return row ?? null;
  }

  /** The registration behind a spent claim failed: the claim may be tried again until it expires. */
  async release(id: string): Promise<void> {
    await this.prisma.deviceClaim.updateMany({ where: { id }, data: { redeemedAt: null } });
  }

  /** Removes claims that expired before `before`: spent or not, they can no longer be redeemed. */
  async pruneExpired(before: Date): Promise<void> {
    await this.prisma.deviceClaim.deleteMany({ where: { expiresAt: { lt: before } } });
  }

  /** Failures of the address inside the window, counted up to `limit`, and when the oldest of those leaves it. */
  async recentFailures(address: string, limit: number, windowSeconds: number): Promise<AddressFailures> {
    const [row] = await this.prisma.$queryRaw<AddressFailures[]>`
      SELECT count(f.occurred_at)::int AS failures,
             GREATEST(1, ceil(extract(epoch FROM min(f.occurred_at) + make_interval(secs => ${windowSeconds}) - now())))::int AS "retryAfterSeconds"
      FROM (
        SELECT occurred_at FROM device_claim_failures
        WHERE address = ${address} AND occurred_at > now() - make_interval(secs => ${windowSeconds})
        ORDER BY occurred_at DESC
        LIMIT ${limit}
      ) f`;
    return row ?? { failures: 0, retryAfterSeconds: 1 };
  }

  /** occurred_at is the database's clock, as `recentFailures` reads it. */
  async recordFailure(address: string): Promise<void> {
    await this.prisma.deviceClaimFailure.create({ data: { address } });
  }

  async pruneFailuresOlderThan(windowSeconds: number): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM device_claim_failures WHERE occurred_at < now() - make_interval(secs => ${windowSeconds})`;
  }
}
