import { existsSync, rmSync } from 'node:fs';
import { loadConfig } from '../config/app-config.js';

/**
 * `npm run reset:local`: forgets the local IoT Core, deleting its state and, with it, the embedded
 * database, so that neither names what the other forgot. Run it with the service stopped. With
 * DATABASE_URL set the database is not this command's to delete: it says so.
 */
const config = loadConfig(process.env);
const removed: string[] = [];
for (const dir of [config.local.stateDir, ...(config.database.url ? [] : [config.database.embeddedDir])]) {
  if (!existsSync(dir)) continue;
  rmSync(dir, { recursive: true, force: true });
  removed.push(dir);
}
process.stdout.write(removed.length > 0 ? `removed ${removed.join(' and ')}\n` : 'nothing to remove: no local state yet\n');
if (config.database.url)
  process.stdout.write('DATABASE_URL is set: empty that database too, or its rows will name users and devices the local IoT Core no longer has\n');
