import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { awsClientOptions } from '../../../src/aws/aws-client-options.js';
import { AwsRetryStrategy } from '../../../src/aws/aws-retry.js';
import { IotAdapter } from '../../../src/aws/iot.adapter.js';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { awsConfig } from './support.js';

describe('awsClientOptions', () => {
  it("takes region, attempts and the service's own retry strategy from config, and an endpoint only when set", () => {
    const options = awsClientOptions(awsConfig({ AWS_MAX_ATTEMPTS: '3' }));
    expect(options).toMatchObject({ region: 'eu-west-1', maxAttempts: 3 });
    expect(options.retryStrategy).toBeInstanceOf(AwsRetryStrategy);
    expect(options).not.toHaveProperty('endpoint');
    expect(options.requestHandler).toBeInstanceOf(NodeHttpHandler);
    expect(awsClientOptions(awsConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).endpoint).toBe('http://127.0.0.1:4566');
  });
});

/** Real sockets on the loopback interface, never AWS: the client must give up within its timeouts. */
describe('an unreachable AWS', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];

  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIATESTTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  function adapterFor(endpoint: string): IotAdapter {
    const config = awsConfig({ AWS_ENDPOINT_URL: endpoint, AWS_TIMEOUT_MS: '200', AWS_MAX_ATTEMPTS: '1' });
    return new IotAdapter(config, new QuotaLimiter(config));
  }

  it('fails with AWS_UNAVAILABLE when the endpoint accepts but never answers', async () => {
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const adapter = adapterFor(`http://127.0.0.1:${port}`);
    await expect(adapter.createThing('t1', {})).rejects.toMatchObject({
      code: 'AWS_UNAVAILABLE',
      details: { cause: expect.stringMatching(/ETIMEDOUT|TimeoutError/) },
    });
    adapter.onModuleDestroy();
  });

  it('fails with AWS_UNAVAILABLE when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const adapter = adapterFor(`http://127.0.0.1:${port}`);
    await expect(adapter.createThing('t1', {})).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', details: { cause: 'ECONNREFUSED' } });
    adapter.onModuleDestroy();
  });
});
