import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { withClient, withDatabase } from '../test/support/pg.js';
import { startEmbeddedPostgres } from '../src/persistence/embedded-postgres.js';
import { migrate } from '../src/persistence/migrator.js';

/** Compiled to dist-bench/bench/, so the repository root is two levels up. */
const MIGRATIONS = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
const EMBEDDED_DIR = '.data/bench-postgres';
/** BENCH_PG_PORT moves it, for machines where 54331 is taken. */
const EMBEDDED_PORT = Number(process.env.BENCH_PG_PORT ?? 54331);
const PREFIX = 'iotp_bench_';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one run: on DATABASE_URL's server when set, otherwise on an
 * embedded Postgres kept in .data/bench-postgres (its own directory and port, so a running
 * `npm start` or `npm test` is not disturbed). Dropped, and the embedded server stopped, at the end.
 */
export async function createBenchDatabase(serverUrl: string | undefined): Promise<BenchDatabase> {
  const embedded = serverUrl ? undefined : await startEmbeddedPostgres({ dir: EMBEDDED_DIR, port: EMBEDDED_PORT });
  const server = serverUrl ?? embedded!.url;
  const name = `${PREFIX}${randomBytes(4).toString('hex')}`;
  await withClient(server, async (client) => {
    // Databases left by an interrupted run on the embedded server only; never touch a shared server's others.
    if (embedded) {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${PREFIX}%`]);
      for (const row of rows) await client.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
    }
    await client.query(`CREATE DATABASE ${name}`);
  });
  const url = withDatabase(server, name);
  await migrate(url, MIGRATIONS);
  return {
    url,
    async drop() {
      await withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
      await embedded?.stop();
    },
  };
}
