import pg from 'pg';
import type { TestApp } from './test-app.js';

/** Runs one query against the test app's database, outside the app. */
export async function query<T extends pg.QueryResultRow>(t: TestApp, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: t.config.database.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A user row as the users feature would leave it, so devices have an owner. */
/** A user row as creation leaves it, for the Cognito user whose `sub` is `sub-<username>` unless given. */
export async function insertUser(t: TestApp, username: string, sub = `sub-${username}`): Promise<void> {
  await query(t, `INSERT INTO users (id, username, cognito_sub, policy_name, updated_at) VALUES (gen_random_uuid(), $1, $2, $3, now())`, [
    username,
    sub,
    `${t.config.resourcePrefix}_${username}`,
  ]);
}

/**
 * A site row as creating a site leaves it, so site devices have an owner; `deleting` marks it as a
 * site deletion's first step does. Answers the site's id.
 */
export async function insertSite(t: TestApp, name: string, options: { deleting?: boolean } = {}): Promise<string> {
  const [row] = await query<{ id: string }>(
    t,
    `INSERT INTO sites (id, name, deletion_started_at, updated_at) VALUES (gen_random_uuid(), $1, $2, now()) RETURNING id`,
    [name, options.deleting ? new Date() : null],
  );
  return row!.id;
}

/** Every row of every table as text, to search for what must never be stored. */
export async function dumpDatabase(t: TestApp): Promise<string> {
  const tables = await query<{ tablename: string }>(t, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  const dumps = await Promise.all(tables.map(({ tablename }) => query<{ row: string }>(t, `SELECT t::text AS row FROM "${tablename}" t`)));
  return dumps
    .flat()
    .map(({ row }) => row)
    .join('\n');
}

export function countDevices(t: TestApp): Promise<number> {
  return query<{ count: string }>(t, 'SELECT count(*) FROM devices').then(([row]) => Number(row!.count));
}

/** The same request with one bit of its signature flipped: still well-formed DER, no longer verifiable. */
export function tamperedCsr(csrPem: string): string {
  const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  der[der.length - 1]! ^= 0x01;
  const lines = der.toString('base64').match(/.{1,64}/g)!;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}
