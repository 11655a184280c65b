import { isDomainError } from '../common/errors/domain-error.js';
import type { AuthorizerLogEntry } from './authorizer.core.js';

/** The two methods both pino and the service's AppLogger have. */
export interface DecisionLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * Expected denials (no token, a bad token, an unknown or disabled user) are info; a failed
 * dependency (database, JWKS, configuration) is a warning with the error, since every client is
 * being refused while it lasts.
 */
export function logDecision(logger: DecisionLogger, entry: AuthorizerLogEntry): void {
  const { error, ...fields } = entry;
  const message = `custom authorizer ${entry.outcome}`;
  if (error === undefined) return logger.info(fields, message);
  if (isDomainError(error, 'UNAUTHENTICATED')) return logger.info({ ...fields, detail: error.message }, message);
  logger.warn({ ...fields, err: error }, message);
}
