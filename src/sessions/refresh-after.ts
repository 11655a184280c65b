import { EXPIRY_MARGIN_MS } from '../credential-cache/credential-cache.js';
import type { AwsCredentials } from '../aws/identity-pool.port.js';

/**
 * When an app should fetch new credentials and reconnect: 5 minutes before they expire (the
 * credential cache hands out new ones from then on, so asking at refreshAfter gets fresh ones), but
 * never before halfway through what is left, so short-lived credentials are still used for a while.
 */
export function refreshAfterOf(expiration: Date, now: number): Date {
  const left = expiration.getTime() - now;
  return new Date(Math.max(expiration.getTime() - EXPIRY_MARGIN_MS, now + left / 2));
}

/** Credentials as every credentials answer carries them: with `refreshAfter`. */
export function withRefreshAfter(credentials: AwsCredentials, now = Date.now()): AwsCredentials & { refreshAfter: Date } {
  return { ...credentials, refreshAfter: refreshAfterOf(credentials.expiration, now) };
}
