import { Injectable, Scope } from '@nestjs/common';
import type { Logger } from 'pino';
import { LogRoot } from './log-root.js';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * What services log through: one instance per injecting class, each naming it in `context`.
 * Lines written while a request runs carry that request's id (see LogRoot).
 */
@Injectable({ scope: Scope.TRANSIENT })
export class AppLogger {
  private logger: Logger;

  constructor(private readonly root: LogRoot) {
    this.logger = root.logger;
  }

  setContext(context: string): void {
    this.logger = this.root.logger.child({ context });
  }

  trace(fields: object | string, message?: string): void {
    this.write('trace', fields, message);
  }

  debug(fields: object | string, message?: string): void {
    this.write('debug', fields, message);
  }

  info(fields: object | string, message?: string): void {
    this.write('info', fields, message);
  }

  warn(fields: object | string, message?: string): void {
    this.write('warn', fields, message);
  }

  error(fields: object | string, message?: string): void {
    this.write('error', fields, message);
  }

  fatal(fields: object | string, message?: string): void {
    this.write('fatal', fields, message);
  }

  private write(level: Level, fields: object | string, message?: string): void {
    if (typeof fields === 'string') this.logger[level](fields);
    else this.logger[level](fields, message);
  }
}
