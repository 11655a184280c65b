import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { toDomainError } from '../common/errors/error-body.js';
import { ConnectionCutoff } from '../connection-cutoff/connection-cutoff.js';
import { AppLogger } from '../common/logging/app-logger.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OperationRunner } from './operation-runner.js';
import { OperationsRepository, type FinishedStatus } from './operations.repository.js';

/** Rows per trimming statement: short enough that a delete never holds many locks or a long transaction. */
export const TRIM_BATCH_ROWS = 500;
/** Statements per status per pass; a backlog (a first deploy over years of rows) drains over several passes. */
export const TRIM_BATCHES_PER_PASS = 4;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * At boot and then periodically, takes over operations whose process died and finishes or undoes
 * them, retries the connection cut-offs operations could not make, then trims finished operations
 * past their retention window, so the table stays bounded by the window whatever the uptime.
 */
@Injectable()
export class RecoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly operations: OperationsRepository,
    private readonly runner: OperationRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: AppLogger,
    private readonly cutoff: ConnectionCutoff,
  ) {
    logger.setContext(RecoveryService.name);
  }

  /**
   * Refuses to boot while a RUNNING or UNDOING row names a kind no feature registered (renamed or
   * removed without migrating its rows): recovery could neither finish nor undo it, and it would
   * hold its subject's lock for good.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.refuseUnknownKinds();
    void this.recoverAll();
    this.timer = setInterval(() => void this.recoverAll(), this.config.operations.recoveryIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The service boots while the database is down (it reports not ready); then recovery alone meets such rows, and logs each. */
  private async refuseUnknownKinds(): Promise<void> {
    const known = new Set(this.runner.registeredKinds());
    let active: string[];
    try {
      active = await this.operations.activeKinds();
    } catch (error) {
      if (toDomainError(error).code !== 'DATABASE_UNAVAILABLE') throw error;
      this.logger.warn('database unavailable at boot; operation kinds not checked');
      return;
    }
    const unknown = active.filter((kind) => !known.has(kind));
    if (unknown.length > 0) {
      throw new Error(
        `operations of unknown kind (${unknown.join(', ')}) are RUNNING or UNDOING; register the kind again, or migrate those rows, before starting`,
      );
    }
  }

  /** One pass at a time per process; returns how many operations it took over. */
  recoverAll(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const recovered = await this.recoverStale();
    await this.retryCutoffs();
    await this.trimFinished();
    return recovered;
  }

  /** A cut-off is best effort: what fails here waits for a later pass, or ends at its give-up time. */
  private async retryCutoffs(): Promise<void> {
    try {
      const { closed, notConnected, retried, givenUp } = await this.cutoff.retryDue();
      if (closed.length + notConnected.length + retried.length + givenUp.length > 0) {
        this.logger.info(
          { closed: closed.length, notConnected: notConnected.length, retried: retried.length, givenUp: givenUp.length },
          'retried cut-offs',
        );
      }
    } catch (error) {
      this.logger.warn({ code: toDomainError(error).code }, 'retrying cut-offs stopped early');
    }
  }

  private async recoverStale(): Promise<number> {
    let count = 0;
    try {
      for (;;) {
        const operation = await this.operations.claimStale(this.config.operations.leaseMs, randomUUID());
        if (!operation) return count;
        await this.runner.recover(operation);
        count++;
      }
    } catch (error) {
      this.logger.warn({ code: toDomainError(error).code }, 'recovery pass stopped early');
      return count;
    }
  }

  /** Deletes finished operations older than their status's window, in bounded batches; returns how many went. */
  async trimFinished(now = new Date()): Promise<number> {
    const { retainCompletedDays, retainFailedDays } = this.config.operations;
    const windows: Array<[FinishedStatus, number]> = [
      ['COMPLETED', retainCompletedDays],
      ['FAILED', retainFailedDays],
      ['UNDONE', retainFailedDays],
    ];
    let trimmed = 0;
    try {
      for (const [status, days] of windows) {
        const before = new Date(now.getTime() - days * DAY_MS);
        for (let batch = 0; batch < TRIM_BATCHES_PER_PASS; batch++) {
          const count = await this.operations.deleteFinishedBefore(status, before, TRIM_BATCH_ROWS);
          trimmed += count;
          if (count < TRIM_BATCH_ROWS) break;
        }
      }
    } catch (error) {
      this.logger.warn({ code: toDomainError(error).code }, 'trimming finished operations stopped early');
    }
    if (trimmed > 0) this.logger.info({ trimmed }, 'trimmed finished operations past their retention');
    return trimmed;
  }
}
