import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { Operation, OperationStatus } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { isUniqueViolation } from '../persistence/prisma-errors.js';
import { PrismaService } from '../persistence/prisma.service.js';
import type { StepRecord } from './operation.types.js';

/** Statuses an operation ends in; only these are ever trimmed. */
export type FinishedStatus = Extract<OperationStatus, 'COMPLETED' | 'FAILED' | 'UNDONE'>;

/** Where a page of operations ends: its last row's sort key. */
export interface OperationKey {
  createdAt: Date;
  id: string;
}

@Injectable()
export class OperationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The unique active_subject decides which of several concurrent operations on a subject runs.
   * `owner` names the run holding the lease; later writes by that run pass it back. The writes of
   * a run (start, steps, end) are hand-written: every operation makes several, each on its request's path.
   */
  async start(kind: string, subject: string, params: object, leaseMs: number, owner: string = randomUUID()): Promise<string> {
    const id = randomUUID();
    const now = new Date();
    try {
      await this.prisma.sql.count(
        'operations-start',
        `INSERT INTO operations (id, kind, subject, active_subject, status, params, steps, lease_expires_at, lease_owner, created_at, updated_at)
         VALUES ($1::uuid, $2, $3, $3, 'RUNNING', $4::jsonb, '[]', $5, $6::uuid, $7, $7)`,
        [id, kind, subject, JSON.stringify(params), new Date(now.getTime() + leaseMs), owner, now],
      );
      return id;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('OPERATION_IN_PROGRESS', `Another operation on ${subject} is in progress; retry shortly`, { subject }, 1);
      }
      throw error;
    }
  }

  /** Records the steps and extends the lease, only while `owner` holds it (LeaseLostError otherwise); `status` when it changes. */
  async recordSteps(id: string, owner: string, steps: StepRecord[], leaseMs: number, status?: OperationStatus): Promise<void> {
    const now = new Date();
    const count = await this.prisma.sql.count(
      'operations-record-steps',
      `UPDATE operations SET steps = $3::jsonb, lease_expires_at = $4, status = COALESCE($5::"OperationStatus", status), updated_at = $6
       WHERE id = $1::uuid AND lease_owner = $2::uuid`,
      [id, owner, JSON.stringify(steps), new Date(now.getTime() + leaseMs), status ?? null, now],
    );
    if (count === 0) throw new LeaseLostError(id);
  }

  /**
   * Parks an operation until `retryAt`: its subject stays held and it stays RUNNING (or UNDOING),
   * with no lease owner, so recovery claims it once `retryAt` passes, as it claims a stale lease.
   * Only while `owner` holds it (LeaseLostError otherwise).
   */
  async wait(id: string, owner: string, steps: StepRecord[], retryAt: Date, status?: OperationStatus): Promise<void> {
    const { count } = await this.prisma.operation.updateMany({
      where: { id, leaseOwner: owner },
      data: { steps: steps as unknown as Prisma.InputJsonValue, leaseExpiresAt: retryAt, leaseOwner: null, status },
    });
    if (count === 0) throw new LeaseLostError(id);
  }

  /** Extends the lease of a run that is still working; false when another process has taken the operation over. */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const { count } = await this.prisma.operation.updateMany({
      where: { id, leaseOwner: owner, status: { in: ['RUNNING', 'UNDOING'] } },
      data: { leaseExpiresAt: new Date(Date.now() + leaseMs) },
    });
    return count > 0;
  }

  /**
   * Ends an operation and frees its subject for the next one. With `owner`, only while that run
   * still holds the lease (LeaseLostError otherwise); without, unconditionally (tests, tools).
   * `steps`, when given, are recorded in the same write.
   */
  async finish(id: string, status: OperationStatus, error?: { code: string; message: string }, owner?: string, steps?: StepRecord[]): Promise<void> {
    const count = await this.prisma.sql.count(
      'operations-finish',
      `UPDATE operations SET status = $3::"OperationStatus", active_subject = NULL, error = $4::jsonb, steps = COALESCE($5::jsonb, steps), updated_at = $6
       WHERE id = $1::uuid AND ($2::uuid IS NULL OR lease_owner = $2::uuid)`,
      [id, owner ?? null, status, error ? JSON.stringify(error) : null, steps ? JSON.stringify(steps) : null, new Date()],
    );
    if (count === 0 && owner !== undefined) throw new LeaseLostError(id);
  }

  /**
   * Takes over one operation whose owner stopped renewing its lease, as `owner`; SKIP LOCKED lets
   * replicas share the work, and the new owner fences the old one out of every later write.
   */
  async claimStale(leaseMs: number, owner: string): Promise<Operation | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE operations SET lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}), lease_owner = ${owner}::uuid, updated_at = now()
      WHERE id = (
        SELECT id FROM operations
        WHERE status IN ('RUNNING', 'UNDOING') AND lease_expires_at < now()
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      RETURNING id`;
    if (rows.length === 0) return undefined;
    return (await this.prisma.operation.findUnique({ where: { id: rows[0].id } })) ?? undefined;
  }

  /** The kinds of the operations still in progress (RUNNING or UNDOING), each once. */
  async activeKinds(): Promise<string[]> {
    const rows = await this.prisma.operation.findMany({
      where: { status: { in: ['RUNNING', 'UNDOING'] } },
      distinct: ['kind'],
      select: { kind: true },
    });
    return rows.map((row) => row.kind);
  }

  /**
   * Deletes at most `limit` operations in `status` that finished before `before` (a finished
   * operation's updated_at is when it finished), oldest first through the (status, updated_at)
   * index, then by primary key (an IN join would read the whole table); returns how many went.
   * Callers pass finished statuses only: running work is never touched.
   */
  deleteFinishedBefore(status: FinishedStatus, before: Date, limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM operations WHERE id = ANY(ARRAY(
        SELECT id FROM operations
        WHERE status = ${status}::"OperationStatus" AND updated_at < ${before} AND active_subject IS NULL
        ORDER BY updated_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ))`;
  }

  findById(id: string): Promise<Operation | null> {
    return this.prisma.operation.findUnique({ where: { id } });
  }

  /**
   * Newest first, a keyset page: `after` is the last row of the previous page. Served by the
   * (created_at, id) and (status, created_at, id) indexes however deep the page.
   */
  list(status: OperationStatus | undefined, limit: number, after?: OperationKey): Promise<Operation[]> {
    return this.prisma.operation.findMany({
      where: {
        ...(status ? { status } : {}),
        ...(after ? { createdAt: { lte: after.createdAt }, NOT: { createdAt: after.createdAt, id: { gte: after.id } } } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }
}

/**
 * The run's lease is gone: it ran out while the process was paused or cut off from the database,
 * and recovery in this or another process took the operation over and will finish or undo it.
 * The run must stop without touching AWS or the record again.
 */
export class LeaseLostError extends DomainError {
  constructor(readonly operationId: string) {
    super(
      'OPERATION_IN_PROGRESS',
      'This operation took too long and was taken over by recovery, which will finish or undo it; check it under /v1/operations and retry',
      { operationId },
      1,
    );
  }
}
