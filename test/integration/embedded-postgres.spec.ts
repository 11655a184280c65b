import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/persistence/embedded-postgres.js';
import { freePort } from '../support/global-setup.js';

describe('embedded Postgres that cannot start', () => {
  const parent = mkdtempSync(join(tmpdir(), 'iotp-embedded-'));
  let running: EmbeddedDatabase | undefined;
  afterAll(async () => {
    await running?.stop();
    if (running) rmSync(running.dataDir, { recursive: true, force: true });
    rmSync(parent, { recursive: true, force: true });
  });

  it("says why in Postgres's own words: a second server on a data directory in use", async () => {
    const dir = join(parent, 'data');
    running = await startEmbeddedPostgres({ dir, port: await freePort() });
    const second = startEmbeddedPostgres({ dir, port: await freePort() });
    await expect(second).rejects.toThrow(/did not start in .* Postgres exited, saying: .*lock file "postmaster\.pid" already exists/);
  }, 120_000);
});
