import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDataPlane } from '../dataplane/scenarios.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

/** A port the OS just handed out: the app must know its own address before it listens, to fetch its JWKS from itself. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let t: TestApp | undefined;
let stateDir: string | undefined;

/** The real app in local mode over a test database, no fakes bound, one boot for the whole file; the broker on ports 0. */
describeDataPlane(
  'data plane against the local IoT Core',
  async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'iotp-dataplane-'));
    const port = await freePort();
    t = await startTestApp({
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
    await t.app.listen(port, '127.0.0.1');
    return { baseUrl: `http://127.0.0.1:${port}`, adminKey: ADMIN_KEY, runId: 'dp', resourcePrefix: t.config.resourcePrefix, revocationWaitMs: 0, strict: true };
  },
  async () => {
    await t?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  },
);
