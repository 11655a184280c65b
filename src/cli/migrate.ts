import { loadConfig } from '../config/app-config.js';
import { migrate } from '../persistence/migrator.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, for teams that migrate before deploying. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.database.url) throw new Error('DATABASE_URL must be set to migrate');
  const applied = await migrate(config.database.url);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database schema is up to date\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
