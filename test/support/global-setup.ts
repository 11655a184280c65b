import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { withClient, withDatabase } from './pg.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/persistence/embedded-postgres.js';
import { migrate } from '../../src/persistence/migrator.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server URL on which each test file creates its own database from the template. */
    serverUrl: string;
    templateDatabase: string;
  }
}

/**
 * One Postgres for the whole run: DATABASE_URL's server when set, otherwise the embedded one, on
 * EMBEDDED_PG_TEST_PORT or else on a port the system reports free, so two runs on one machine do
 * not meet. The migrated template is copied per test file (CREATE DATABASE ... TEMPLATE), which
 * is fast and keeps files isolated while they run in parallel; its name is the run's own, so two
 * runs against one DATABASE_URL server do not drop each other's template.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({
      dir: process.env.EMBEDDED_PG_TEST_DIR ?? '.data/test-postgres',
      port: process.env.EMBEDDED_PG_TEST_PORT ? Number(process.env.EMBEDDED_PG_TEST_PORT) : await freePort(),
    });
    serverUrl = embedded.url;
  }
  const template = `iotp_test_template_${randomBytes(5).toString('hex')}`;
  await recreate(serverUrl, template);
  await migrate(withDatabase(serverUrl, template));
  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', template);
  return async () => {
    await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)).catch(() => undefined);
    await embedded?.stop();
    keepExitCode();
  };
}

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0): in the test runner's
 * process that would turn a failed run's exit code into 0. The cluster is stopped above, so its exit hooks have no
 * work left (and its 'exit' one cannot run the asynchronous shutdown anyway).
 */
function keepExitCode(): void {
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
  exitHook.unhookEvent('beforeExit');
  exitHook.unhookEvent('exit');
}

/** A port nothing listens on right now (the system picks it); Postgres takes it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function recreate(serverUrl: string, database: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${database}`);
  });
}
