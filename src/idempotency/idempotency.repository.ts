import { Injectable } from '@nestjs/common';
import type { IdempotencyKey } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { isUniqueViolation } from '../persistence/prisma-errors.js';
import { PrismaService } from '../persistence/prisma.service.js';

export type IdempotencyRecord = IdempotencyKey;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Claims the key for this request; returns the existing record when someone claimed it first. */
  async claim(scope: string, key: string, requestHash: string, ttlMs: number): Promise<IdempotencyRecord | undefined> {
    try {
      await this.prisma.idempotencyKey.create({
        data: { scope, key, requestHash, expiresAt: new Date(Date.now() + ttlMs) },
      });
      return undefined;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const existing = await this.prisma.idempotencyKey.findUnique({ where: { scope_key: { scope, key } } });
    if (existing && existing.expiresAt.getTime() <= Date.now()) {
      // An expired key is free again: drop it and claim it afresh.
      await this.prisma.idempotencyKey.deleteMany({ where: { scope, key, expiresAt: { lte: new Date() } } });
      return this.claim(scope, key, requestHash, ttlMs);
    }
    return existing ?? undefined;
  }

  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.prisma.idempotencyKey.update({
      where: { scope_key: { scope, key } },
      data: { responseStatus: status, responseBody: (body ?? Prisma.JsonNull) as Prisma.InputJsonValue },
    });
  }

  /** A failed first request leaves nothing behind (its operation was undone), so the key may be retried. */
  async release(scope: string, key: string): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { scope, key, responseStatus: null } });
  }

  async pruneExpired(): Promise<number> {
    const { count } = await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return count;
  }
}
