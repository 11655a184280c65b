import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { AwsScope } from '../../src/aws/aws-scope.service.js';
import { devicePolicyDocument, renderPolicy, userPolicyDocument, type PolicyScope } from '../../src/policy/documents.js';
import { devicePolicyName, thingName, userPolicyName } from '../../src/policy/names.js';
import { deviceSubject, userSubject } from '../../src/operations/subjects.js';
import { AWS_CERT_NOT_AFTER, CertificateAuthority } from '../../src/local/x509.js';
import type { Handlers } from '../ipc.js';
import type { FleetDevice, FleetUser, RemoteAws } from '../remote-aws.js';
import type { BenchUser } from '../seed.js';

/**
 * The service side of the scale run: loads users, devices, certificates, policies and finished
 * operations straight into Postgres (multi-row INSERTs over unnest, a few statements per chunk)
 * and into the AWS fakes' state (their maps, not their API, in their own process), as a fleet that was provisioned
 * through the service would leave them.
 */

export const SCALE_PASSWORD = 'Scale-Passw0rd!';
export const DEVICES_PER_USER = 3;
export const TABLES = ['users', 'devices', 'certificates', 'operations', 'idempotency_keys', 'sign_in_failures'] as const;

export const scaleUsername = (index: number) => `s${String(index).padStart(6, '0')}`;
export const scaleDeviceName = (index: number) => `d${index + 1}`;

export interface ScaleSeedContext {
  app: NestFastifyApplication;
  aws: RemoteAws;
  resourcePrefix: string;
  databaseUrl: string;
}

export interface TableSize {
  rows: number;
  bytes: number;
}

/** What a finished operation of one kind looks like: taken from a real one the service ran. */
interface OperationTemplate {
  kind: string;
  subject: string;
  params: unknown;
  steps: unknown;
}

export function scaleCommands(context: ScaleSeedContext): Handlers {
  const pool = new pg.Pool({ connectionString: context.databaseUrl, max: 2 });
  let templates: OperationTemplate[] = [];
  let scope: PolicyScope | undefined;
  // One real certificate's PEM stands for all of them: the rows and the fakes hold the same bytes a fleet's would.
  const pem = CertificateAuthority.create().issueKeysAndCertificate(new Date()).certificatePem;

  return {
    /** Reads the operations the service has run so far (one of each kind), as templates for the bulk rows. */
    scaleTemplates: async () => {
      const { rows } = await pool.query<OperationTemplate>(
        `SELECT DISTINCT ON (kind) kind, subject, params, steps FROM operations WHERE status = 'COMPLETED' ORDER BY kind, created_at DESC`,
      );
      templates = rows;
      return rows.map((row) => ({ kind: row.kind, stepsBytes: JSON.stringify(row.steps).length }));
    },

    /** Users [from, to), each signed in once, with DEVICES_PER_USER devices and one certificate each. */
    scaleSeed: async ({ from, to }: { from: number; to: number }) => {
      const policyScope = (scope ??= await context.app.get(AwsScope).policyScope());
      const prefix = context.resourcePrefix;
      const fleet: FleetUser[] = [];
      for (let index = from; index < to; index++) {
        const username = scaleUsername(index);
        fleet.push({
          username,
          policy: { name: userPolicyName(prefix, username), document: renderPolicy(userPolicyDocument(policyScope, username)) },
          devices: Array.from({ length: DEVICES_PER_USER }, (_, d) => ({
            thingName: thingName(prefix, username, scaleDeviceName(d)),
            policy: {
              name: devicePolicyName(prefix, username, scaleDeviceName(d)),
              document: renderPolicy(devicePolicyDocument(policyScope, prefix, username, scaleDeviceName(d))),
            },
          })),
        });
      }
      const made = await context.aws.fakes.call<Array<{ sub: string; identityId: string; devices: FleetDevice[] }>>('seedFleet', {
        users: fleet,
        password: SCALE_PASSWORD,
        certificatePem: pem,
      });
      const users = { id: [] as string[], username: [] as string[], sub: [] as string[], policy: [] as string[], identity: [] as string[] };
      const devices = {
        id: [] as string[],
        userId: [] as string[],
        name: [] as string[],
        thing: [] as string[],
        arn: [] as string[],
        policy: [] as string[],
      };
      const certificates = { id: [] as string[], deviceId: [] as string[], certificateId: [] as string[], arn: [] as string[] };
      fleet.forEach((user, u) => {
        const userId = randomUUID();
        users.id.push(userId);
        users.username.push(user.username);
        users.sub.push(made[u]!.sub);
        users.policy.push(user.policy.name);
        users.identity.push(made[u]!.identityId);
        user.devices.forEach((device, d) => {
          const { thingArn, certificateId, certificateArn } = made[u]!.devices[d]!;
          const deviceId = randomUUID();
          devices.id.push(deviceId);
          devices.userId.push(userId);
          devices.name.push(scaleDeviceName(d));
          devices.thing.push(device.thingName);
          devices.arn.push(thingArn);
          devices.policy.push(device.policy.name);
          certificates.id.push(randomUUID());
          certificates.deviceId.push(deviceId);
          certificates.certificateId.push(certificateId);
          certificates.arn.push(certificateArn);
        });
      });
      await pool.query(
        `INSERT INTO users (id, username, cognito_sub, policy_name, identity_id, policy_attached_at, created_at, updated_at)
         SELECT id, username, sub, policy, identity, now(), now(), now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, username, sub, policy, identity)`,
        [users.id, users.username, users.sub, users.policy, users.identity],
      );
      await pool.query(
        `INSERT INTO devices (id, user_id, name, thing_name, thing_arn, policy_name, created_at, updated_at)
         SELECT id, user_id, name, thing, arn, policy, now(), now() FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(id, user_id, name, thing, arn, policy)`,
        [devices.id, devices.userId, devices.name, devices.thing, devices.arn, devices.policy],
      );
      await pool.query(
        `INSERT INTO certificates (id, device_id, certificate_id, certificate_arn, certificate_pem, not_after, created_at, updated_at)
         SELECT id, device_id, certificate_id, arn, $5, $6, now(), now() FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS t(id, device_id, certificate_id, arn)`,
        [certificates.id, certificates.deviceId, certificates.certificateId, certificates.arn, pem, AWS_CERT_NOT_AFTER],
      );
      // Each user's creation and first sign-in, each device's registration: finished within the retention window,
      // at times spread over it (one time per row: ties in created_at are not what a fleet produces).
      for (const template of templates) {
        const subjects = template.subject.startsWith(deviceSubject('')) ? devices.thing.map(deviceSubject) : users.username.map(userSubject);
        await pool.query(
          `INSERT INTO operations (id, kind, subject, status, params, steps, lease_expires_at, created_at, updated_at)
           SELECT gen_random_uuid(), $1, subject, 'COMPLETED', $2::jsonb, $3::jsonb, at, at, at
           FROM (SELECT subject, now() - random() * interval '29 days' AS at FROM unnest($4::text[]) AS t(subject)) AS spread`,
          [template.kind, JSON.stringify(template.params), JSON.stringify(template.steps), subjects],
        );
      }
      return { users: to - from, devices: devices.id.length };
    },

    /** Fresh statistics, and the bulk load's dirty pages written out before anything is measured. */
    scaleAnalyze: async () => void (await pool.query('VACUUM ANALYZE'), await pool.query('CHECKPOINT')),

    /** Signs the ID tokens of these seeded users, so no scenario pays for signing. */
    scaleSessions: async (usernames: string[]): Promise<BenchUser[]> => {
      const idTokens = await context.aws.fakes.call<string[]>('idTokens', usernames);
      return usernames.map((username, index) => ({ username, password: SCALE_PASSWORD, idToken: idTokens[index]! }));
    },

    /** Row count and total size (heap, indexes, TOAST) of each table. */
    scaleTableSizes: async (): Promise<Record<string, TableSize>> => {
      const sizes: Record<string, TableSize> = {};
      for (const table of TABLES) {
        const { rows } = await pool.query<{ rows: string; bytes: string }>(
          `SELECT count(*) AS rows, pg_total_relation_size('${table}') AS bytes FROM ${table}`,
        );
        sizes[table] = { rows: Number(rows[0]!.rows), bytes: Number(rows[0]!.bytes) };
      }
      return sizes;
    },

    /** The sort key of the operation at this depth of the newest-first listing (set-up only). */
    scaleOperationKeyAt: async (depth: number) => {
      const { rows } = await pool.query<{ created_at: Date; id: string }>(
        'SELECT created_at, id FROM operations ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1',
        [depth],
      );
      return rows[0] ? `${rows[0].created_at.toISOString()} ${rows[0].id}` : null;
    },

    /** The database's name, which its backends' process titles carry. */
    scaleDatabaseName: () => new URL(context.databaseUrl).pathname.slice(1),

    scaleClose: () => pool.end(),
  };
}
