import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { toDomainError } from '../common/errors/error-body.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OperationRunner } from './operation-runner.js';
import { OperationsRepository } from './operations.repository.js';

/** At boot and then periodically, takes over operations whose process died and finishes or undoes them. */
@Injectable()
export class RecoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly operations: OperationsRepository,
    private readonly runner: OperationRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(RecoveryService.name);
  }

  onApplicationBootstrap(): void {
    void this.recoverAll();
    this.timer = setInterval(() => void this.recoverAll(), this.config.operations.recoveryIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One pass at a time per process; returns how many operations it took over. */
  recoverAll(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
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
}
