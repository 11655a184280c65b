import type { AppConfig } from '../config/app-config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { migrate } from './migrator.js';

export interface ResolvedDatabase {
  config: AppConfig;
  stop(): Promise<void>;
}

/**
 * Settles which database the process uses before Nest starts: DATABASE_URL when set, otherwise
 * the embedded Postgres; then applies pending migrations unless DATABASE_MIGRATE_ON_START=false.
 */
export async function prepareDatabase(config: AppConfig, log: (message: string) => void): Promise<ResolvedDatabase> {
  let url = config.database.url;
  let stop = async (): Promise<void> => undefined;
  if (!url) {
    log(`DATABASE_URL is not set: starting embedded Postgres in ${config.database.embeddedDir}`);
    const embedded = await startEmbeddedPostgres({ dir: config.database.embeddedDir, port: config.database.embeddedPort });
    url = embedded.url;
    stop = async () => embedded.stop();
  }
  if (config.database.migrateOnStart) {
    const applied = await migrate(url);
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  }
  return { config: { ...config, database: { ...config.database, url } }, stop };
}
