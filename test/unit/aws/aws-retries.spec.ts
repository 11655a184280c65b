import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IotAdapter } from '../../../src/aws/iot.adapter.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { awsConfig } from './support.js';

/**
 * The SDK's own retries, through the real client and its middleware (aws-sdk-client-mock replaces
 * `send`, so it would skip them): a local HTTP server stands in for AWS IoT and throttles the
 * first requests the way AWS does (429, x-amzn-ErrorType: ThrottlingException).
 */
describe('AWS throttling seen by the adapter', () => {
  let server: Server | undefined;
  let requests: number;
  let throttleFirst: number;

  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIATESTTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    requests = 0;
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function fakeIot(): Promise<string> {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      request.on('end', () => {
        requests += 1;
        if (requests <= throttleFirst) {
          response.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' });
          response.end(JSON.stringify({ message: 'Rate exceeded' }));
          return;
        }
        const thingName = decodeURIComponent(request.url!.split('/').pop()!);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ thingName, thingArn: `arn:aws:iot:eu-west-1:123456789012:thing/${thingName}`, thingId: 'id-1' }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  function adapter(endpoint: string, maxAttempts: number): IotAdapter {
    const config = awsConfig({ AWS_ENDPOINT_URL: endpoint, AWS_MAX_ATTEMPTS: String(maxAttempts), AWS_TIMEOUT_MS: '2000' });
    return new IotAdapter(config, new QuotaLimiter(config));
  }

  it('retries ThrottlingException with backoff and succeeds when AWS lets it through', async () => {
    throttleFirst = 2;
    const iot = adapter(await fakeIot(), 4);
    await expect(iot.createThing('t1', {})).resolves.toEqual({ thingName: 't1', thingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/t1' });
    expect(requests).toBe(3);
    iot.onModuleDestroy();
  });

  it('gives up after AWS_MAX_ATTEMPTS with AWS_THROTTLED and a retry hint', async () => {
    throttleFirst = Infinity;
    const iot = adapter(await fakeIot(), 3);
    await expect(iot.createThing('t1', {})).rejects.toMatchObject({
      code: 'AWS_THROTTLED',
      status: 503,
      retryAfterSeconds: expect.any(Number),
      details: { awsError: 'ThrottlingException' },
    });
    expect(requests).toBe(3);
    iot.onModuleDestroy();
  });
});
