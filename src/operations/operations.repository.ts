import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { Operation, OperationStatus } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { isUniqueViolation } from '../persistence/prisma-errors.js';
import { PrismaService } from '../persistence/prisma.service.js';
import type { StepRecord } from './operation.types.js';

@Injectable()
export class OperationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The unique active_subject decides which of several concurrent operations on a subject runs. */
  async start(kind: string, subject: string, params: object, leaseMs: number): Promise<string> {
    try {
      const operation = await this.prisma.operation.create({
        data: {
          kind,
          subject,
          activeSubject: subject,
          params: params as Prisma.InputJsonValue,
          leaseExpiresAt: new Date(Date.now() + leaseMs),
        },
        select: { id: true },
      });
      return operation.id;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('OPERATION_IN_PROGRESS', `Another operation on ${subject} is in progress; retry shortly`, { subject }, 1);
      }
      throw error;
    }
  }

  async recordSteps(id: string, steps: StepRecord[], leaseMs: number, status?: OperationStatus): Promise<void> {
    await this.prisma.operation.update({
      where: { id },
      data: { steps: steps as unknown as Prisma.InputJsonValue, leaseExpiresAt: new Date(Date.now() + leaseMs), status },
    });
  }

  /** Ends an operation and frees its subject for the next one. */
  async finish(id: string, status: OperationStatus, error?: { code: string; message: string }): Promise<void> {
    await this.prisma.operation.update({
      where: { id },
      data: { status, activeSubject: null, error: error ?? Prisma.DbNull },
    });
  }

  /** Takes over one operation whose owner stopped renewing its lease; SKIP LOCKED lets replicas share the work. */
  async claimStale(leaseMs: number): Promise<Operation | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE operations SET lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
      WHERE id = (
        SELECT id FROM operations
        WHERE status IN ('RUNNING', 'UNDOING') AND lease_expires_at < now()
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      RETURNING id`;
    if (rows.length === 0) return undefined;
    return (await this.prisma.operation.findUnique({ where: { id: rows[0].id } })) ?? undefined;
  }

  findById(id: string): Promise<Operation | null> {
    return this.prisma.operation.findUnique({ where: { id } });
  }

  /** Newest first; the cursor is the last id seen. */
  list(status: OperationStatus | undefined, limit: number, after?: string): Promise<Operation[]> {
    return this.prisma.operation.findMany({
      where: status ? { status } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
  }
}
