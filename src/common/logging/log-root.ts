import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { censorSecrets } from './redact.js';
import { currentRequestId } from './request-context.js';

/** Injection token of a stream that replaces stdout (tests capture lines with it). */
export const LOG_STREAM = Symbol('LOG_STREAM');

/** Lines wait in memory until this many bytes are pending, or FLUSH_INTERVAL_MS passes. */
const BUFFER_BYTES = 4096;
const FLUSH_INTERVAL_MS = 1000;

interface Flushable {
  flushSync?: () => void;
  flush?: () => void;
}

/**
 * The one pino logger of the process. Lines go to stdout through an asynchronous, buffered
 * destination: a request never waits for a write(2), and a burst of lines costs one writev.
 * The buffer is flushed every second, at shutdown and, from main.ts, on a fatal error.
 */
@Injectable()
export class LogRoot implements OnApplicationShutdown {
  readonly logger: Logger;
  private readonly destination: DestinationStream & Flushable;
  private readonly timer?: NodeJS.Timeout;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() @Inject(LOG_STREAM) stream?: DestinationStream) {
    this.destination = stream ?? pino.destination({ dest: 1, sync: false, minLength: BUFFER_BYTES });
    this.logger = pino(
      {
        level: config.logLevel,
        // Secrets are censored by censorSecrets rather than pino's `redact` paths, which cost ~40 µs a request.
        formatters: { log: censorSecrets, bindings: censorSecrets },
        // Lines written while a request runs name it, as the request's own line does.
        mixin: () => {
          const id = currentRequestId();
          return id === undefined ? {} : { req: { id } };
        },
      },
      this.destination,
    );
    if (!stream) {
      this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Writes out whatever is buffered, synchronously: safe right before the process exits. */
  flush(): void {
    try {
      if (this.destination.flushSync) this.destination.flushSync();
      else this.destination.flush?.();
    } catch {
      // A destination still opening (or a closed stdout) has nothing to flush; losing a line beats crashing.
    }
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }
}
