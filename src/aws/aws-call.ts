import { DomainError } from '../common/errors/domain-error.js';
import { missingAwsSettings, type AppConfig } from '../config/app-config.js';
import { translateAwsError, type AwsCallContext } from './aws-errors.js';
import type { QuotaLimiter } from './quota-limiter.js';

/**
 * The path every adapter call takes: refuse early when AWS settings are missing (naming them),
 * wait for a rate-limit slot, then translate whatever AWS throws into a DomainError.
 */
export async function callAws<T>(config: AppConfig, limiter: QuotaLimiter, context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  const missing = missingAwsSettings(config);
  if (missing.length > 0) {
    throw new DomainError('AWS_NOT_CONFIGURED', `AWS is not configured: set ${missing.join(', ')}`, { missing });
  }
  try {
    return await limiter.run(context.api, call);
  } catch (error) {
    throw translateAwsError(error, context);
  }
}

/** AWS marks most response fields optional; a missing one the service relies on is an AWS fault, not ours. */
export function required<T>(value: T | undefined | null, field: string, api: string): T {
  if (value === undefined || value === null) {
    throw new DomainError('AWS_UNAVAILABLE', `AWS returned no ${field} from ${api}`, { api, field });
  }
  return value;
}
