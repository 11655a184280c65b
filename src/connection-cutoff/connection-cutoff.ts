import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { IotConnectionsPort, type ConnectionTarget } from '../aws/iot-connections.port.js';
import { isDomainError } from '../common/errors/domain-error.js';
import { AppLogger } from '../common/logging/app-logger.js';
import { Metrics } from '../metrics/metrics.js';
import { PendingCutoffsRepository } from './pending-cutoffs.repository.js';

/** What a cut-off did, recorded as its operation step's output (GET /v1/operations/{id}). */
// A type, not an interface: step outputs must be JSON values.
export type CutoffReport = {
  closed: string[];
  notConnected: string[];
  /** Client ids whose connection could not be closed within the step, with the last error's code: recovery retries them. */
  pending: Array<{ clientId: string; code: string }>;
};

/** What one retry pass did (logged by recovery, read by tests). */
export interface CutoffRetryReport {
  closed: string[];
  notConnected: string[];
  /** Tried and failed again: retried at a later pass. */
  retried: string[];
  /** Tried and failed again after their give-up time: dropped. */
  givenUp: string[];
}

/** Waits between the attempts within the step: throttling and outages of the data plane are usually brief. */
const IN_STEP_WAITS_MS = [200, 1000];

/**
 * After the step, when each later attempt is due, by attempts made so far; then every 5 minutes.
 * Recovery's pass (RECOVERY_INTERVAL_MS, 60 s) is the finest grain: an attempt is made at the first pass after it is due.
 */
export const RETRY_BACKOFF_MS = [10_000, 30_000, 60_000, 120_000, 300_000];

/**
 * How long a cut-off is retried. By then nothing it would take away is left: AWS's policy cache (6-8
 * minutes) has dropped the detached policy, so an open connection can no longer publish, subscribe or
 * receive; AWS itself disconnects a deactivated certificate's connections within minutes; and every
 * credential vended before the change has expired (they last an hour), so nothing can reconnect with them.
 */
export const RETRY_FOR_MS = 60 * 60 * 1000;

/** A claimed cut-off is another replica's again after this long, should the one that claimed it die mid-attempt. */
const CLAIM_MS = 5 * 60 * 1000;

/** Attempts per pass at most, so a large backlog (an outage during a mass deletion) drains over several passes. */
const ATTEMPTS_PER_PASS = 200;

/**
 * Closes the live MQTT connections of principals whose access was just taken away (a user disabled
 * or deleted, a device deleted, a certificate revoked), so they do not keep it for the 6-8 minutes
 * AWS IoT caches policies. Best effort by design: the access is already revoked in AWS, and a
 * connection left open loses it when the cache expires, so a DeleteConnection that fails never
 * fails the operation: it is tried three times within the step, then recorded in
 * `pending_cutoffs` and retried by recovery's pass (`retryDue`) for up to an hour.
 *
 * A new operation calls `close(targets, reason)` in a step of its own and records the report as
 * the step's output; an operation that grants access again calls `cancel(clientIds)`.
 */
@Injectable()
export class ConnectionCutoff {
  constructor(
    private readonly connections: IotConnectionsPort,
    private readonly pending: PendingCutoffsRepository,
    private readonly metrics: Metrics,
    private readonly logger: AppLogger,
  ) {
    logger.setContext(ConnectionCutoff.name);
  }

  /**
   * Closes each target's connection; those that keep failing are left to recovery. `reason` is the
   * kind of the operation that took the access away. Throws only when the database cannot record a
   * retry (the operation stops there like at any database error, and running it again repeats the cut-off).
   */
  async close(targets: ConnectionTarget[], reason: string, waits: readonly number[] = IN_STEP_WAITS_MS): Promise<CutoffReport> {
    const report: CutoffReport = { closed: [], notConnected: [], pending: [] };
    const failed: Array<{ target: ConnectionTarget; code: string }> = [];
    for (const target of targets) {
      for (let attempt = 0; ; attempt++) {
        try {
          const closed = await this.connections.deleteConnection(target);
          (closed ? report.closed : report.notConnected).push(target.clientId);
          this.metrics.connectionCutoff(closed ? 'closed' : 'not_connected');
          break;
        } catch (error) {
          const wait = waits[attempt];
          if (wait !== undefined) {
            await sleep(wait);
            continue;
          }
          failed.push({ target, code: codeOf(error) });
          break;
        }
      }
    }
    if (failed.length === 0) return report;

    const now = Date.now();
    const nextAttemptAt = new Date(now + RETRY_BACKOFF_MS[0]!);
    const giveUpAt = new Date(now + RETRY_FOR_MS);
    await this.pending.add(failed.map(({ target, code }) => ({ target, reason, code, nextAttemptAt, giveUpAt })));
    for (const { target, code } of failed) {
      report.pending.push({ clientId: target.clientId, code });
      this.metrics.connectionCutoff('pending');
      this.logger.warn({ clientId: target.clientId, reason, code, giveUpAt }, 'could not close the connection; recovery retries it');
    }
    await this.refreshPendingCount();
    return report;
  }

  /** Drops the pending cut-offs of client ids whose access was granted again (an enabled user), so a retry does not close the new connection. */
  async cancel(clientIds: string[]): Promise<void> {
    const cancelled = await this.pending.cancel(clientIds);
    if (cancelled === 0) return;
    this.metrics.connectionCutoff('cancelled', cancelled);
    await this.refreshPendingCount();
  }

  /**
   * One attempt at each cut-off due at `now`, earliest first; run by recovery's pass. The first
   * failure ends the pass (the data plane is most likely still unwell, and each attempt may take
   * the SDK's retries), so a pass stays short whatever the backlog.
   */
  async retryDue(now: Date = new Date()): Promise<CutoffRetryReport> {
    const report: CutoffRetryReport = { closed: [], notConnected: [], retried: [], givenUp: [] };
    try {
      for (let attempts = 0; attempts < ATTEMPTS_PER_PASS; attempts++) {
        const due = await this.pending.claimDue(now, new Date(now.getTime() + CLAIM_MS));
        if (!due) break;
        const { clientId } = due.target;
        try {
          const closed = await this.connections.deleteConnection(due.target);
          await this.pending.remove(due.id);
          (closed ? report.closed : report.notConnected).push(clientId);
          this.metrics.connectionCutoff(closed ? 'closed' : 'not_connected');
          this.logger.info({ clientId, reason: due.reason, closed }, 'retried cut-off done');
          continue;
        } catch (error) {
          const code = codeOf(error);
          const made = due.attempts + 1;
          if (now.getTime() >= due.giveUpAt.getTime()) {
            await this.pending.remove(due.id);
            report.givenUp.push(clientId);
            this.metrics.connectionCutoff('given_up');
            // Its access ended with AWS's policy cache long ago (see RETRY_FOR_MS).
            this.logger.warn({ clientId, reason: due.reason, code, attempts: made }, 'gave up closing the connection');
          } else {
            const delay = RETRY_BACKOFF_MS[made] ?? RETRY_BACKOFF_MS.at(-1)!;
            await this.pending.reschedule(due.id, made, code, new Date(now.getTime() + delay));
            report.retried.push(clientId);
          }
          break;
        }
      }
    } finally {
      await this.refreshPendingCount();
    }
    return report;
  }

  /** The gauge is best effort: a database that does not answer leaves it as it was. */
  private async refreshPendingCount(): Promise<void> {
    try {
      this.metrics.connectionCutoffsPending(await this.pending.count());
    } catch {
      // the next pass sets it again
    }
  }
}

function codeOf(error: unknown): string {
  return isDomainError(error) ? error.code : 'INTERNAL';
}
