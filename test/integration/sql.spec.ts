import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '../../src/persistence/sql.js';
import { createTestDatabase } from '../support/database.js';

/** The hand-written statements' path to Postgres: a burst queues in arrival order instead of timing out in the pool. */
describe('Sql', () => {
  let database: { url: string; drop(): Promise<void> };
  const pools: pg.Pool[] = [];
  // Two connections, and a connect timeout far shorter than the burst below takes to drain.
  const pool = () => {
    const created = new pg.Pool({ connectionString: database.url, max: 2, connectionTimeoutMillis: 150 });
    pools.push(created);
    return created;
  };
  const SLOW = 'SELECT $1::int AS n, pg_sleep(0.05)::text AS slept';

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(pools.map((created) => created.end().catch(() => undefined)));
    await database?.drop();
  });

  it('runs a burst larger than the pool, every statement, where the pool alone times some out', async () => {
    const direct = pool();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => direct.query(SLOW, [n])));
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').length).toBeGreaterThan(0);

    const sql = new Sql(pool(), 2);
    const rows = await Promise.all(Array.from({ length: 20 }, (_, n) => sql.rows<{ n: number }>('slow', SLOW, [n])));
    expect(rows.map(([row]) => row!.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(sql.waiting).toBe(0);
  });

  it('reports what a statement changed, and shows every statement to its observer', async () => {
    const seen: string[] = [];
    const sql = new Sql(pool(), 2, (text) => seen.push(text));
    expect(await sql.count('values', 'SELECT * FROM (VALUES (1), (2), (3)) AS v(x) WHERE x > $1::int', [1])).toBe(2);
    expect(seen).toEqual(['SELECT * FROM (VALUES (1), (2), (3)) AS v(x) WHERE x > $1::int']);
  });

  it('still answers once its pool was ended (a request in flight while the service shuts down)', async () => {
    const ended = pool();
    const sql = new Sql(ended, 2);
    await ended.end();
    expect(await sql.rows<{ one: number }>('one', 'SELECT 1::int AS one', [])).toEqual([{ one: 1 }]);
  });
});
