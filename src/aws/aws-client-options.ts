import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import type { AppConfig } from '../config/app-config.js';
import { apiNameMiddleware, AwsRetryStrategy } from './aws-retry.js';

/** The subset of SDK client configuration every adapter passes to its client. */
export interface AwsClientOptions {
  region?: string;
  endpoint?: string;
  maxAttempts: number;
  retryStrategy: AwsRetryStrategy;
  requestHandler: NodeHttpHandler;
}

/** Connecting should be quick even across regions; a slow TCP handshake means AWS is unreachable. */
const MAX_CONNECTION_TIMEOUT_MS = 3000;

/**
 * Client configuration built from AppConfig.aws, identical for the three clients.
 *
 * Retries: AwsRetryStrategy decides per API and error what may be sent again (see aws-retry.ts):
 * throttling with backoff, transient faults except for the non-idempotent certificate creations,
 * never LimitExceededException. QuotaLimiter paces calls at the published default quotas in front
 * of the SDK, so throttling from AWS is rare and means the real budget is smaller than ours.
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
    retryStrategy: new AwsRetryStrategy(maxAttempts),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(requestTimeoutMs, MAX_CONNECTION_TIMEOUT_MS),
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * An SDK client built with awsClientOptions, plus the middleware that tells the retry strategy
 * which API an error came from. Runs inside the SDK's retry middleware (finalizeRequest, high).
 */
export function withRetryRules<I extends object, O extends MetadataBearer, C extends { middlewareStack: MiddlewareStack<I, O> }>(
  client: C & { middlewareStack: MiddlewareStack<I, O> },
): C {
  client.middlewareStack.add(apiNameMiddleware<I, O>(), { step: 'finalizeRequest', priority: 'low', name: 'apiNameOfErrors' });
  return client;
}
