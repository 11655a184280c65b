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

const TEMPLATE = 'iotp_test_template';

/**
 * One Postgres for the whole run: DATABASE_URL's server when set, otherwise the embedded one.
 * The migrated template is copied per test file (CREATE DATABASE ... TEMPLATE), which is fast and
 * keeps files isolated while they run in parallel.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({
      dir: process.env.EMBEDDED_PG_TEST_DIR ?? '.data/test-postgres',
      port: Number(process.env.EMBEDDED_PG_TEST_PORT ?? 54330),
    });
    serverUrl = embedded.url;
  }
  await recreate(serverUrl, TEMPLATE);
  await migrate(withDatabase(serverUrl, TEMPLATE));
  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', TEMPLATE);
  return async () => {
    await embedded?.stop();
  };
}


async function recreate(serverUrl: string, database: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${database}`);
  });
}
