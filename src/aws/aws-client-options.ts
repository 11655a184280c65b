import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AppConfig } from '../config/app-config.js';

/** The subset of SDK client configuration every adapter passes to its client. */
export interface AwsClientOptions {
  region?: string;
  endpoint?: string;
  maxAttempts: number;
  retryMode: 'adaptive';
  requestHandler: NodeHttpHandler;
}

/** Connecting should be quick even across regions; a slow TCP handshake means AWS is unreachable. */
const MAX_CONNECTION_TIMEOUT_MS = 3000;

/**
 * Client configuration built from AppConfig.aws, identical for the three clients.
 *
 * retryMode 'adaptive': QuotaLimiter already paces calls at the published default quotas, so the
 * SDK's adaptive rate limiter stays idle in normal operation. It only slows this client down after
 * AWS answers with throttling errors, which happens when the real budget is smaller than ours
 * (other workloads in the same account, a lowered quota). 'standard' would keep retrying at full
 * speed into that wall.
 *
 * Timeouts: connectionTimeout bounds the TCP/TLS handshake and requestTimeout the whole request;
 * throwOnRequestTimeout makes the handler fail instead of only logging a warning, so an
 * unreachable AWS costs at most requestTimeoutMs × maxAttempts plus backoff.
 */
export function awsClientOptions(config: AppConfig): AwsClientOptions {
  const { region, endpointUrl, maxAttempts, requestTimeoutMs } = config.aws;
  return {
    region,
    ...(endpointUrl ? { endpoint: endpointUrl } : {}),
    maxAttempts,
    retryMode: 'adaptive',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(requestTimeoutMs, MAX_CONNECTION_TIMEOUT_MS),
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
}
