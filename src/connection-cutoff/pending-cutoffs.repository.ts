import { Injectable } from '@nestjs/common';
import type { ConnectionTarget } from '../aws/iot-connections.port.js';
import { PrismaService } from '../persistence/prisma.service.js';

/** A cut-off still to be made, as recovery's pass reads it back. */
export interface PendingCutoffRow {
  id: string;
  reason: string;
  target: ConnectionTarget;
  attempts: number;
  giveUpAt: Date;
}

/** What to retry: the target, why, the error its last attempt ended with, and when to try again and to stop. */
export interface NewPendingCutoff {
  target: ConnectionTarget;
  reason: string;
  code: string;
  nextAttemptAt: Date;
  giveUpAt: Date;
}

@Injectable()
export class PendingCutoffsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A cut-off repeated for the same client and reason (an operation run again) starts its retries afresh. */
  async add(entries: NewPendingCutoff[]): Promise<void> {
    for (const { target, reason, code, nextAttemptAt, giveUpAt } of entries) {
      const fields = {
        cleanSession: target.cleanSession,
        certificateId: target.certificateId ?? null,
        identityId: target.identityId ?? null,
        attempts: 0,
        lastError: code,
        nextAttemptAt,
        giveUpAt,
      };
      await this.prisma.pendingCutoff.upsert({
        where: { clientId_reason: { clientId: target.clientId, reason } },
        create: { clientId: target.clientId, reason, ...fields },
        update: fields,
      });
    }
  }

  /**
   * Takes the earliest cut-off due at `now` and moves its next attempt to `claimUntil`, so no other
   * replica tries it meanwhile (SKIP LOCKED lets replicas share the work) and one whose process died
   * mid-attempt comes back once `claimUntil` passes.
   */
  async claimDue(now: Date, claimUntil: Date): Promise<PendingCutoffRow | undefined> {
    const rows = await this.prisma.$queryRaw<
      Array<{
        id: string;
        client_id: string;
        reason: string;
        clean_session: boolean;
        certificate_id: string | null;
        identity_id: string | null;
        attempts: number;
        give_up_at: Date;
      }>
    >`
      UPDATE pending_cutoffs SET next_attempt_at = ${claimUntil}, updated_at = now()
      WHERE id = (
        SELECT id FROM pending_cutoffs WHERE next_attempt_at <= ${now}
        ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      RETURNING id, client_id, reason, clean_session, certificate_id, identity_id, attempts, give_up_at`;
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      reason: row.reason,
      target: {
        clientId: row.client_id,
        cleanSession: row.clean_session,
        ...(row.certificate_id === null ? {} : { certificateId: row.certificate_id }),
        ...(row.identity_id === null ? {} : { identityId: row.identity_id }),
      },
      attempts: row.attempts,
      giveUpAt: row.give_up_at,
    };
  }

  /** After a failed attempt. A row cancelled meanwhile stays gone. */
  async reschedule(id: string, attempts: number, code: string, nextAttemptAt: Date): Promise<void> {
    await this.prisma.pendingCutoff.updateMany({ where: { id }, data: { attempts, lastError: code, nextAttemptAt } });
  }

  /** Closed, not connected, or given up. */
  async remove(id: string): Promise<void> {
    await this.prisma.pendingCutoff.deleteMany({ where: { id } });
  }

  /** Drops every pending cut-off of these client ids (their access was granted again); returns how many went. */
  async cancel(clientIds: string[]): Promise<number> {
    if (clientIds.length === 0) return 0;
    const { count } = await this.prisma.pendingCutoff.deleteMany({ where: { clientId: { in: clientIds } } });
    return count;
  }

  count(): Promise<number> {
    return this.prisma.pendingCutoff.count();
  }
}
