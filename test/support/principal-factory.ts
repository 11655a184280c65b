import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { devicePolicyName, thingName, userPolicyName } from '../../src/policy/names.js';

export interface SeededUser {
  id: string;
  username: string;
  policyName: string;
  identityId: string | null;
}

export interface SeededDevice {
  id: string;
  name: string;
  thingName: string;
  policyName: string;
}

/**
 * Inserts users and devices rows straight into a test database, named as the provisioning code
 * names them, so authorization tests do not depend on the users and devices routes.
 */
export class PrincipalFactory {
  private readonly pool: pg.Pool;

  constructor(
    databaseUrl: string,
    private readonly prefix = 'iotp',
  ) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  }

  async user(username: string, options: { status?: 'ACTIVE' | 'DISABLED'; identityId?: string; sub?: string } = {}): Promise<SeededUser> {
    const row = {
      id: randomUUID(),
      username,
      policyName: userPolicyName(this.prefix, username),
      identityId: options.identityId ?? null,
    };
    await this.pool.query(
      `INSERT INTO users (id, username, cognito_sub, status, policy_name, identity_id, policy_attached_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now(), now())`,
      [row.id, username, options.sub ?? randomUUID(), options.status ?? 'ACTIVE', row.policyName, row.identityId],
    );
    return row;
  }

  async device(owner: SeededUser, name: string, attributes: Record<string, unknown> = {}): Promise<SeededDevice> {
    const thing = thingName(this.prefix, owner.username, name);
    const row = { id: randomUUID(), name, thingName: thing, policyName: devicePolicyName(this.prefix, owner.username, name) };
    await this.pool.query(
      `INSERT INTO devices (id, user_id, name, thing_name, thing_arn, policy_name, attributes, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())`,
      [row.id, owner.id, name, thing, `arn:aws:iot:eu-west-1:123456789012:thing/${thing}`, row.policyName, JSON.stringify(attributes)],
    );
    return row;
  }

  async setStatus(username: string, status: 'ACTIVE' | 'DISABLED'): Promise<void> {
    await this.pool.query('UPDATE users SET status = $2, updated_at = now() WHERE username = $1', [username, status]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
