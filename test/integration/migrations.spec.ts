import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS_DIR, readMigrations } from '../../src/persistence/migrator.js';
import { createTestDatabase } from '../support/database.js';

describe('migrations', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // The template is migrated already; start this database from nothing to apply for real.
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  });

  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  it('creates every table with its columns and constraints', async () => {
    const applied = await migrate(database.url);
    expect(applied).toEqual(readMigrations().map((migration) => migration.name));

    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    );
    const columns = (table: string) => rows.filter((row) => row.table_name === table).map((row) => row.column_name);
    expect(columns('users')).toEqual([
      'id',
      'username',
      'cognito_sub',
      'email',
      'status',
      'policy_name',
      'identity_id',
      'policy_attached_at',
      'created_at',
      'updated_at',
      'drift_detected_at',
      'tokens_valid_after',
      'deletion_started_at',
    ]);
    expect(columns('devices')).toEqual(expect.arrayContaining(['user_id', 'name', 'thing_name', 'thing_arn', 'policy_name', 'status']));
    expect(columns('certificates')).toEqual(
      expect.arrayContaining(['device_id', 'certificate_id', 'certificate_arn', 'certificate_pem', 'status', 'not_after', 'public_key_sha256']),
    );
    expect(columns('device_claims')).toEqual(['id', 'token_hash', 'user_id', 'name', 'expires_at', 'redeemed_at', 'created_at']);
    expect(columns('device_claim_failures')).toEqual(['id', 'address', 'occurred_at']);
    expect(columns('sign_in_known_pairs')).toEqual(['pair_hash', 'expires_at']);
    expect(columns('operations')).toEqual(expect.arrayContaining(['kind', 'status', 'steps', 'lease_expires_at']));

    const unique = await client.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE%'`,
    );
    expect(unique.rows.map((row) => row.indexname)).toEqual(
      expect.arrayContaining([
        'users_username_key',
        'users_identity_id_key',
        'devices_thing_name_key',
        'devices_user_id_name_key',
        'device_claims_token_hash_key',
        'certificates_public_key_sha256_key',
      ]),
    );
  });

  it('records each migration as prisma migrate deploy does, and a second run is a no-op', async () => {
    const { rows } = await client.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    const expected = readMigrations().map((migration) => ({
      migration_name: migration.name,
      checksum: createHash('sha256')
        .update(readFileSync(join(MIGRATIONS_DIR, migration.name, 'migration.sql')))
        .digest('hex'),
      applied_steps_count: 1,
      rolled_back_at: null,
    }));
    expect(rows.map(({ finished_at, ...rest }) => ({ ...rest, finished: finished_at instanceof Date }))).toEqual(
      expected.map((row) => ({ ...row, finished: true })),
    );
    await expect(migrate(database.url)).resolves.toEqual([]);
    const again = await client.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
    expect(again.rows[0].n).toBe(expected.length);
  });

  it('refuses to run when an applied migration was edited', async () => {
    await client.query(`UPDATE "_prisma_migrations" SET checksum = repeat('0', 64)`);
    await expect(migrate(database.url)).rejects.toThrow(/changed after it was applied/);
  });
});
