import type { LogRoot } from './log-root.js';

/**
 * An error nothing caught ends the process, but only after its line and every buffered line
 * before it have been written: the log of a crash is the one most worth keeping.
 */
export function exitOnFatalErrors(root: LogRoot): void {
  const die = (error: unknown, message: string) => {
    root.logger.fatal({ err: error }, message);
    root.flush();
    process.exit(1);
  };
  process.on('uncaughtException', (error) => die(error, 'uncaught exception; exiting'));
  process.on('unhandledRejection', (reason) => die(reason, 'unhandled promise rejection; exiting'));
}
