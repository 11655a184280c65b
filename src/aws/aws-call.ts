import { DomainError } from '../common/errors/domain-error.js';
import { missingAwsSettings, type AppConfig } from '../config/app-config.js';
import { withinDeadline } from './aws-deadline.js';
import { translateAwsError, type AwsCallContext } from './aws-errors.js';
import type { QuotaLimiter } from './quota-limiter.js';

/**
 * The path every adapter call takes: refuse early when AWS settings are missing (naming them),
 * wait for a rate-limit slot, then translate whatever AWS throws into a DomainError. Waiting and
 * calling both count against the request's AWS deadline.
 */
export async function callAws<T>(
  config: AppConfig,
  limiter: QuotaLimiter,
  context: AwsCallContext,
  call: () => Promise<T>,
  missingSettings: (config: AppConfig) => string[] = missingAwsSettings,
): Promise<T> {
  const missing = missingSettings(config);
  if (missing.length > 0) {
    throw new DomainError('AWS_NOT_CONFIGURED', `AWS is not configured: set ${missing.join(', ')}`, { missing });
  }
  // Translated inside the limiter's slot, so the limiter counts each call's outcome by its error code;
  // the rate-limit wait and the call both count against the request's AWS deadline.
  return withinDeadline(context.api, () =>
    limiter.run(context.api, async () => {
      try {
        return await call();
      } catch (error) {
        throw translateAwsError(error, context);
      }
    }),
  );
}

/** For the calls that create the pools (npm run bootstrap): the pool ids do not exist yet, only the region is needed. */
export function missingRegion(config: AppConfig): string[] {
  return config.aws.region ? [] : ['AWS_REGION'];
}

/** The one match of a lookup by name. AWS allows duplicate pool names; picking one silently could wire up the wrong pool. */
export function onlyMatch(ids: string[], what: string): string | undefined {
  if (ids.length > 1) throw DomainError.conflict(`Found ${ids.length} ${what}; delete the extras or use another RESOURCE_PREFIX`, { ids });
  return ids[0];
}

/** AWS marks most response fields optional; a missing one the service relies on is an AWS fault, not ours. */
export function required<T>(value: T | undefined | null, field: string, api: string): T {
  if (value === undefined || value === null) {
    throw new DomainError('AWS_UNAVAILABLE', `AWS returned no ${field} from ${api}`, { api, field });
  }
  return value;
}
