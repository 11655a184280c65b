import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AppLogger } from './app-logger.js';
import { LOG_STREAM, LogRoot } from './log-root.js';
import { NestLogger } from './nest-logger.js';

@Global()
@Module({})
export class LoggingModule {
  /** `stream` replaces stdout (tests capture lines with it). */
  static forRoot(stream?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [LogRoot, AppLogger, NestLogger, ...(stream ? [{ provide: LOG_STREAM, useValue: stream }] : [])],
      exports: [LogRoot, AppLogger, NestLogger],
    };
  }
}
