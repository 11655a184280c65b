/** The real app in local mode over a test database, no fakes bound, listening on 127.0.0.1; its broker on ports 0. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';
import type { DataPlaneTarget } from './service-client.js';

/** A port the OS just handed out: the app must know its own address before it listens, to fetch its JWKS from itself. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface LocalService {
  app: TestApp;
  target: DataPlaneTarget;
  stop(): Promise<void>;
}

export async function startLocalService(runId: string): Promise<LocalService> {
  const stateDir = mkdtempSync(join(tmpdir(), 'iotp-dataplane-'));
  const port = await freePort();
  const app = await startTestApp({
    aws: false,
    env: {
      AWS_MODE: 'local',
      LOCAL_STATE_DIR: stateDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOCAL_MQTT_PORT: '0',
      LOCAL_MQTT_WSS_PORT: '0',
      LOCAL_MQTT_WS_PORT: '0',
    },
  });
  await app.app.listen(port, '127.0.0.1');
  return {
    app,
    target: {
      baseUrl: `http://127.0.0.1:${port}`,
      adminKey: ADMIN_KEY,
      runId,
      resourcePrefix: app.config.resourcePrefix,
      revocationWaitMs: 0,
      strict: true,
    },
    async stop() {
      await app.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
