import { Injectable, type LoggerService } from '@nestjs/common';
import { LogRoot } from './log-root.js';

/** Nest's own messages (start-up, route mapping, shutdown) as JSON lines of the same logger. */
@Injectable()
export class NestLogger implements LoggerService {
  constructor(private readonly root: LogRoot) {}

  log(message: unknown, context?: string): void {
    this.root.logger.info({ context }, String(message));
  }

  error(message: unknown, stackOrContext?: string, context?: string): void {
    const fields = context === undefined ? { context: stackOrContext } : { context, stack: stackOrContext };
    if (message instanceof Error) this.root.logger.error({ ...fields, err: message }, message.message);
    else this.root.logger.error(fields, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.root.logger.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.root.logger.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.root.logger.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.root.logger.fatal({ context }, String(message));
  }
}
