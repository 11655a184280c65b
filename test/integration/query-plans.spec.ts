import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrincipalsRepository } from '../../src/authz/principals.repository.js';
import { DevicesRepository } from '../../src/devices/devices.repository.js';
import { DriftRepository } from '../../src/drift/drift.repository.js';
import { OperationsRepository } from '../../src/operations/operations.repository.js';
import { SignInFailuresRepository } from '../../src/sessions/sign-in-failures.repository.js';
import { subjectsOf } from '../../src/sessions/sign-in-limiter.js';
import { UsersRepository } from '../../src/users/users.repository.js';
import { createTestDatabase } from '../support/database.js';
import { withClient } from '../support/pg.js';
import { QueryCapture, type CapturedQuery } from '../support/query-capture.js';

/**
 * Every list route and every lookup on a request path stays an index read as the tables grow: the
 * statements the repositories actually send (captured from Prisma's query event) are planned
 * with EXPLAIN over tables with tens of thousands of rows and fresh statistics. A sequential scan
 * of a large table, a sort of more than a page's worth of rows, or an OFFSET page fails the test.
 */
const USERS = 20_000;
const DEVICES_PER_USER = 3;
const OPERATIONS = 60_000;
const SITES = 2_000;
const DEVICES_PER_SITE = 5;
const LARGE_TABLES = new Set(['users', 'devices', 'certificates', 'operations']);
/** A sort of a page (plus the look-ahead row) is fine; one over a whole filtered set is not. */
const MAX_SORTED_ROWS = 1000;

const SEED = `
  INSERT INTO users (id, username, cognito_sub, policy_name, identity_id, policy_attached_at, created_at, updated_at)
  SELECT gen_random_uuid(), 'u' || lpad(i::text, 6, '0'), gen_random_uuid()::text, 'iotp_u' || lpad(i::text, 6, '0'),
         'eu-west-1:' || gen_random_uuid(), now(), now(), now()
  FROM generate_series(1, ${USERS}) AS i;
  INSERT INTO devices (id, user_id, name, thing_name, thing_arn, policy_name, updated_at)
  SELECT gen_random_uuid(), u.id, 'd' || d, 'iotp_' || u.username || '_d' || d,
         'arn:aws:iot:eu-west-1:123456789012:thing/iotp_' || u.username || '_d' || d, 'iotp_' || u.username || '_d' || d, now()
  FROM users AS u, generate_series(1, ${DEVICES_PER_USER}) AS d;
  INSERT INTO sites (id, name, updated_at) SELECT gen_random_uuid(), 's' || lpad(i::text, 5, '0'), now() FROM generate_series(1, ${SITES}) AS i;
  INSERT INTO devices (id, site_id, name, thing_name, thing_arn, policy_name, updated_at)
  SELECT gen_random_uuid(), s.id, 'd' || d, 'iotp-site_' || s.name || '_d' || d,
         'arn:aws:iot:eu-west-1:123456789012:thing/iotp-site_' || s.name || '_d' || d, 'iotp-site_' || s.name || '_d' || d, now()
  FROM sites AS s, generate_series(1, ${DEVICES_PER_SITE}) AS d;
  INSERT INTO certificates (id, device_id, certificate_id, certificate_arn, certificate_pem, not_after, updated_at)
  SELECT gen_random_uuid(), v.id, md5(v.id::text) || md5(v.thing_name), 'arn:aws:iot:eu-west-1:123456789012:cert/' || md5(v.id::text) || md5(v.thing_name),
         '-----BEGIN CERTIFICATE-----', now() + interval '1 year', now()
  FROM devices AS v;
  INSERT INTO operations (id, kind, subject, status, lease_expires_at, created_at, updated_at)
  SELECT gen_random_uuid(), 'register-device', 'device:iotp_u' || lpad((i % ${USERS})::text, 6, '0') || '_d1',
         (ARRAY['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED', 'UNDONE'])[1 + i % 5]::"OperationStatus",
         now(), now() - make_interval(secs => i), now() - make_interval(secs => i)
  FROM generate_series(1, ${OPERATIONS}) AS i;
  INSERT INTO operations (id, kind, subject, active_subject, status, lease_expires_at, updated_at)
  VALUES (gen_random_uuid(), 'rotate-certificate', 'device:iotp_u000007_d1', 'device:iotp_u000007_d1', 'RUNNING', now(), now());
  ANALYZE;`;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/** What is wrong with one statement's plan, if anything. */
function problemsOf(plan: PlanNode, query: CapturedQuery): string[] {
  const problems: string[] = [];
  const visit = (node: PlanNode) => {
    if (node['Node Type'] === 'Seq Scan' && LARGE_TABLES.has(node['Relation Name'] ?? ''))
      problems.push(`sequential scan of ${node['Relation Name']}`);
    if (node['Node Type'] === 'Sort' && node['Plan Rows'] > MAX_SORTED_ROWS) problems.push(`sort of ${node['Plan Rows']} rows`);
    node.Plans?.forEach(visit);
  };
  visit(plan);
  // Prisma writes every findMany with OFFSET; a page must never skip rows it read.
  for (const [, index] of query.sql.matchAll(/OFFSET \$(\d+)/g)) {
    if (String(query.params[Number(index) - 1]) !== '0') problems.push(`OFFSET ${String(query.params[Number(index) - 1])}`);
  }
  return problems;
}

describe('query plans at fleet size', () => {
  let database: { url: string; drop(): Promise<void> };
  let capture: QueryCapture;
  let users: UsersRepository;
  let devices: DevicesRepository;
  let operations: OperationsRepository;
  let principals: PrincipalsRepository;
  let drift: DriftRepository;
  let signIns: SignInFailuresRepository;
  let owner: { id: string };
  let site: { id: string };
  let middle: { createdAt: Date; id: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    await withClient(database.url, (client) => client.query(SEED));
    capture = new QueryCapture(database.url);
    users = new UsersRepository(capture.service);
    devices = new DevicesRepository(capture.service);
    operations = new OperationsRepository(capture.service);
    principals = new PrincipalsRepository(capture.service);
    drift = new DriftRepository(capture.service);
    signIns = new SignInFailuresRepository(capture.service);
    owner = (await devices.findOwner('u010000'))!;
    site = (await devices.findSite('s01000'))!;
    const all = await capture.prisma.operation.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: OPERATIONS / 2, take: 1 });
    middle = all[0]!;
  });

  afterAll(async () => {
    await capture?.close();
    await database?.drop();
  });

  const cases: Array<[string, () => Promise<unknown>]> = [
    ['GET /v1/users, first page', () => users.list(25)],
    ['GET /v1/users, deep page', () => users.list(100, 'u015000')],
    ['GET /v1/users/{username}', () => users.getWithDeviceCount('u010000')],
    ["GET /v1/users/{username}/devices, a user's devices", () => devices.listByOwner({ kind: 'user', id: owner.id }, 25)],
    ["GET /v1/users/{username}/devices, a user's next page", () => devices.listByOwner({ kind: 'user', id: owner.id }, 1, 'd1')],
    ['GET /v1/me/devices, the owner', () => devices.findOwner('u010000')],
    ['GET /v1/devices/{thingName}', () => devices.findByThingName('iotp_u010000_d2')],
    ['device registration: is the name taken', () => devices.isTaken({ kind: 'user', id: owner.id }, 'd9', 'iotp_u010000_d9')],
    [
      'device registration: is the name taken, and the devices of the owner',
      () => devices.nameUseOfOwner({ kind: 'user', id: owner.id }, 'd9', 'iotp_u010000_d9'),
    ],
    ['device registration and rotation: is the public key in use', () => devices.assertPublicKeyUnused('0'.repeat(64))],
    [
      'GET /v1/admin/certificates?expiringWithinDays, every certificate matching',
      () => devices.listCertificatesExpiringBefore(new Date(Date.now() + 2 * 365 * 86_400_000), 25),
    ],
    ['device registration and claims: devices of an owner', () => devices.countOfOwner({ kind: 'user', id: owner.id })],
    ['certificate revocation: one certificate of a device', () => devices.findCertificate(owner.id, '0'.repeat(64))],
    ['device deletion: certificates of a device', () => devices.countCertificates(owner.id)],
    ['user deletion: thing names of an owner', () => devices.thingNamesOfOwner({ kind: 'user', id: owner.id })],
    [
      "GET /v1/sites/{site}/devices, a site's devices",
      async () => (await devices.findSite('s01000'), devices.listByOwner({ kind: 'site', id: site.id }, 25)),
    ],
    ["GET /v1/sites/{site}/devices, a site's next page", () => devices.listByOwner({ kind: 'site', id: site.id }, 1, 'd1')],
    ['site device registration: is the name taken', () => devices.isTaken({ kind: 'site', id: site.id }, 'd9', 'iotp-site_s01000_d9')],
    ['site device registration: devices of a site', () => devices.countOfOwner({ kind: 'site', id: site.id })],
    ['site deletion: thing names of a site', () => devices.thingNamesOfOwner({ kind: 'site', id: site.id })],
    ['authz: a site device principal', () => principals.findDevice('iotp-site_s01000_d1')],
    ['GET /v1/operations, first page', () => operations.list(undefined, 25)],
    ['GET /v1/operations, deep page', () => operations.list(undefined, 100, middle)],
    ['GET /v1/operations?status=FAILED, first page', () => operations.list('FAILED', 25)],
    ['GET /v1/operations?status=UNDONE, deep page', () => operations.list('UNDONE', 100, middle)],
    ['GET /v1/operations/{id}', () => operations.findById(middle.id)],
    ['sign-in and vend: the session user', () => users.findForSession('u010000')],
    ['sign-in: the success, with the session user', () => signIns.recordSuccessAndReadUser(['1'], subjectsOf('u010000', '192.0.2.1'), 30, 'u010000')],
    ['authorizer and authz: principals', async () => (await principals.findUser('u010000'), principals.findDevice('iotp_u010000_d1'))],
    ['recovery: a stale operation', () => operations.claimStale(60_000, '00000000-0000-4000-8000-000000000001')],
    ['retention: one batch of finished operations', () => operations.deleteFinishedBefore('COMPLETED', new Date(Date.now() - 3_600_000), 500)],
    [
      'drift repair: who claims a policy, a certificate, a thing',
      async () => (await drift.policyClaim('iotp_u010000_d1'), await drift.certificateClaim('0'.repeat(64)), drift.deviceExists('iotp_u010000_d1')),
    ],
    ['drift: running operations', async () => (await drift.busySubjects(), drift.deviceOperationsRunning())],
    [
      'drift scan: a deep keyset page of users, and the same window read again',
      async () => (await drift.users({ after: 'u015000', limit: 250 }), drift.users({ after: 'u015000', upTo: 'u015250' })),
    ],
    [
      'drift scan: a deep keyset page of devices, their certificates',
      async () => drift.certificatesOf(await drift.devices({ after: 'iotp_u015000_d1', limit: 250 })),
    ],
    ["drift scan: one user's row and devices", async () => (await drift.users({ limit: 250 }, 'u010000'), drift.devices({ limit: 250 }, 'u010000'))],
    [
      'drift scan: who claims a page of names',
      async () => {
        const names = Array.from({ length: 250 }, (_, k) => `iotp_u0${String(10000 + k)}_d1`);
        await drift.claimedThings(names);
        await drift.claimedPolicies(names);
        await drift.claimedUsernames(names.map((name) => name.split('_')[1]!));
        return drift.certificatesById(Array.from({ length: 250 }, (_, k) => k.toString(16).padStart(64, '0')));
      },
    ],
  ];

  it.each(cases)('%s reads through indexes', async (_, call) => {
    const queries = await capture.during(call);
    expect(queries.length).toBeGreaterThan(0);
    const problems: string[] = [];
    await withClient(database.url, async (client) => {
      // EXPLAIN does not run the statement: the DELETE and UPDATE above are planned, not applied.
      for (const query of queries) {
        const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.params);
        for (const problem of problemsOf(rows[0]!['QUERY PLAN'][0]!.Plan, query)) problems.push(`${problem} in: ${query.sql}`);
      }
    });
    expect(problems).toEqual([]);
  });

  it('flags what it is meant to catch: a whole-table read and an OFFSET page', async () => {
    const whole = await capture.during(() =>
      capture.prisma.operation.findMany({ where: { kind: 'register-device' }, orderBy: { kind: 'asc' }, skip: 50, take: 10 }),
    );
    await withClient(database.url, async (client) => {
      const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${whole[0]!.sql}`, whole[0]!.params);
      expect(problemsOf(rows[0]!['QUERY PLAN'][0]!.Plan, whole[0]!)).toEqual(expect.arrayContaining(['sequential scan of operations', 'OFFSET 50']));
    });
  });
});
