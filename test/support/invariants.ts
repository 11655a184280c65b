import type { PolicyScope } from '../../src/policy/documents.js';
import { compileEntitlements, sameDocument, type SiteGrant } from '../../src/policy/entitlements.js';
import { withClient } from './pg.js';
import type { FakeAws, FakeAwsSnapshot } from '../fakes/fake-aws.js';

/**
 * The durability oracle, independent of the service's own drift detection: compares what the AWS
 * fakes hold with the rows, both ways. An orphan is something in AWS that no row accounts for;
 * a ghost is a row that claims something AWS does not have. Also: no operation left running.
 */

export interface BusinessRows {
  users: Array<{ id: string; username: string; policy_name: string; identity_id: string | null; status: string; policy_attached: boolean }>;
  devices: Array<{ id: string; user_id: string; thing_name: string; policy_name: string }>;
  certificates: Array<{ certificate_id: string; certificate_arn: string; device_id: string; status: string }>;
  sites: Array<{ id: string; name: string; deleting: boolean }>;
  members: Array<{ site: string; username: string; role: 'MEMBER' | 'OPERATOR' }>;
}

export interface OperationRow {
  id: string;
  kind: string;
  subject: string;
  status: string;
  active_subject: string | null;
  error: { code: string } | null;
}

export function readRows(databaseUrl: string): Promise<BusinessRows> {
  return withClient(databaseUrl, async (client) => ({
    users: (
      await client.query(
        'SELECT id, username, policy_name, identity_id, status, policy_attached_at IS NOT NULL AS policy_attached FROM users ORDER BY username',
      )
    ).rows,
    devices: (await client.query('SELECT id, user_id, thing_name, policy_name FROM devices ORDER BY thing_name')).rows,
    certificates: (await client.query('SELECT certificate_id, certificate_arn, device_id, status FROM certificates ORDER BY certificate_id')).rows,
    sites: (await client.query('SELECT id, name, deletion_started_at IS NOT NULL AS deleting FROM sites ORDER BY name')).rows,
    members: (
      await client.query(
        'SELECT s.name AS site, u.username, m.role FROM site_members m JOIN sites s ON s.id = m.site_id JOIN users u ON u.id = m.user_id ORDER BY s.name, u.username',
      )
    ).rows,
  }));
}

export function readOperations(databaseUrl: string): Promise<OperationRow[]> {
  return withClient(
    databaseUrl,
    async (client) =>
      (await client.query<OperationRow>('SELECT id, kind, subject, status, active_subject, error FROM operations ORDER BY created_at, id')).rows,
  );
}

/** The fakes' default region and account: how many sites fit one document depends on the ARNs' length. */
const DEFAULT_SCOPE: PolicyScope = { region: 'eu-west-1', accountId: '123456789012' };

/** Every way the fakes and the rows disagree, as readable lines; empty when consistent. */
export function inconsistencies(aws: FakeAwsSnapshot, rows: BusinessRows, scope: PolicyScope = DEFAULT_SCOPE): string[] {
  const problems: string[] = [];
  const deviceByThing = new Map(rows.devices.map((device) => [device.thing_name, device]));
  const userByPolicy = new Map(rows.users.map((user) => [user.policy_name, user]));
  const deviceByPolicy = new Map(rows.devices.map((device) => [device.policy_name, device]));
  const certificateRows = new Map(rows.certificates.map((row) => [row.certificate_id, row]));
  const certificateRowsByArn = new Map(rows.certificates.map((row) => [row.certificate_arn, row]));
  const awsCertificates = new Map(aws.certificates.map((certificate) => [certificate.certificateId, certificate]));
  const thingPrincipals = new Set(aws.thingPrincipals.map(({ thingName, principal }) => `${thingName} ${principal}`));
  const policyTargets = new Set(aws.policyAttachments.map(({ policyName, target }) => `${policyName} ${target}`));

  // A user's further slots (`<policy>.2` ...) belong to the user as much as the first one.
  const slotNames = expectedSlotNames(rows, scope);
  for (const [name, user] of slotNames) userByPolicy.set(name, user);

  // Orphans: in AWS, accounted for by no row.
  for (const thing of aws.things) if (!deviceByThing.has(thing.thingName)) problems.push(`orphan thing ${thing.thingName}`);
  for (const policy of aws.policies) {
    if (!userByPolicy.has(policy) && !deviceByPolicy.has(policy)) problems.push(`orphan policy ${policy}`);
  }
  for (const certificate of aws.certificates) {
    if (!certificateRows.has(certificate.certificateId)) problems.push(`orphan certificate ${certificate.certificateId} (${certificate.status})`);
  }
  for (const { thingName, principal } of aws.thingPrincipals) {
    const row = certificateRowsByArn.get(principal);
    if (!row || row.device_id !== deviceByThing.get(thingName)?.id) problems.push(`orphan thing principal ${thingName} -> ${principal}`);
  }
  for (const { policyName, target } of aws.policyAttachments) {
    const user = userByPolicy.get(policyName);
    const device = deviceByPolicy.get(policyName);
    const accounted = user ? user.identity_id === target : device ? certificateRowsByArn.get(target)?.device_id === device.id : false;
    if (!accounted) problems.push(`orphan policy attachment ${policyName} -> ${target}`);
    else if (user?.status === 'DISABLED') problems.push(`policy of disabled user ${user.username} still attached to ${target}`);
  }
  const usernames = new Set(rows.users.map((user) => user.username));
  for (const user of aws.users) if (!usernames.has(user.username)) problems.push(`orphan pool user ${user.username}`);
  const identityIds = new Set(rows.users.map((user) => user.identity_id).filter(Boolean));
  for (const identity of aws.identities) if (!identityIds.has(identity.identityId)) problems.push(`orphan identity ${identity.identityId}`);

  // Ghosts: rows claiming what AWS does not have.
  const things = new Set(aws.things.map((thing) => thing.thingName));
  const policies = new Set(aws.policies);
  const poolUsers = new Set(aws.users.map((user) => user.username));
  const identities = new Set(aws.identities.map((identity) => identity.identityId));
  for (const user of rows.users) {
    if (!poolUsers.has(user.username)) problems.push(`ghost user ${user.username}: no pool user`);
    if (!policies.has(user.policy_name)) problems.push(`ghost user ${user.username}: no policy ${user.policy_name}`);
    if (user.identity_id && !identities.has(user.identity_id)) problems.push(`ghost user ${user.username}: no identity ${user.identity_id}`);
    if (user.policy_attached && user.status === 'ACTIVE' && !policyTargets.has(`${user.policy_name} ${user.identity_id}`)) {
      problems.push(`ghost user ${user.username}: policy recorded as attached, but it is not`);
    }
  }
  for (const [name, user] of slotNames) {
    if (name === user.policy_name) continue;
    if (!policies.has(name)) problems.push(`ghost user ${user.username}: no policy ${name}`);
    else if (user.policy_attached && user.status === 'ACTIVE' && !policyTargets.has(`${name} ${user.identity_id}`)) {
      problems.push(`ghost user ${user.username}: policy ${name} not attached with the others`);
    }
  }
  for (const device of rows.devices) {
    if (!things.has(device.thing_name)) problems.push(`ghost device ${device.thing_name}: no thing`);
    if (!policies.has(device.policy_name)) problems.push(`ghost device ${device.thing_name}: no policy`);
  }
  const devicesById = new Map(rows.devices.map((device) => [device.id, device]));
  for (const row of rows.certificates) {
    const certificate = awsCertificates.get(row.certificate_id);
    if (!certificate) {
      problems.push(`ghost certificate ${row.certificate_id}: not in AWS`);
      continue;
    }
    const device = devicesById.get(row.device_id)!;
    if (row.status !== 'ACTIVE') continue;
    if (certificate.status !== 'ACTIVE') problems.push(`ghost certificate ${row.certificate_id}: ACTIVE row, ${certificate.status} in AWS`);
    if (!thingPrincipals.has(`${device.thing_name} ${row.certificate_arn}`))
      problems.push(`ghost certificate ${row.certificate_id}: not on its thing`);
    if (!policyTargets.has(`${device.policy_name} ${row.certificate_arn}`))
      problems.push(`ghost certificate ${row.certificate_id}: no device policy`);
  }
  return problems.sort();
}

/**
 * The policies each user's membership rows compile to, by name (the oracle compiles them itself with
 * the pure compiler). Every row counts, a site's being deleted too: until the deletion reaches a
 * member, AWS still grants it to them.
 */
function expectedSlots(rows: BusinessRows, scope: PolicyScope) {
  const slots = new Map<string, { user: BusinessRows['users'][number]; text: string }>();
  for (const user of rows.users) {
    const prefix = user.policy_name.slice(0, -(user.username.length + 1));
    const sites: SiteGrant[] = rows.members
      .filter((row) => row.username === user.username)
      .map((row) => ({ site: row.site, role: row.role === 'OPERATOR' ? 'operator' : 'member' }));
    for (const policy of compileEntitlements({ scope, prefix, username: user.username, sites }))
      slots.set(policy.policyName, { user, text: policy.text });
  }
  return slots;
}

function expectedSlotNames(rows: BusinessRows, scope: PolicyScope): Map<string, BusinessRows['users'][number]> {
  return new Map([...expectedSlots(rows, scope)].map(([name, { user }]) => [name, user]));
}

/** Slot policies whose default document is not what the user's memberships compile to. */
export function staleDocuments(aws: FakeAws, rows: BusinessRows): string[] {
  const problems: string[] = [];
  for (const [name, { user, text }] of expectedSlots(rows, { region: aws.region, accountId: aws.accountId })) {
    const held = aws.iot.policyVersions(name).find((version) => version.isDefault);
    if (held && !sameDocument(held.document, text))
      problems.push(`stale policy ${name} of user ${user.username}: not what the memberships compile to`);
  }
  for (const policy of aws.iot.snapshot().policies) {
    const versions = aws.iot.policyVersions(policy).length;
    if (versions > 5) problems.push(`policy ${policy} has ${versions} versions`);
  }
  return problems.sort();
}

/** Operations still running or undoing, or still holding their subject: after recovery there must be none. */
export function unfinished(operations: OperationRow[]): string[] {
  return operations
    .filter((operation) => operation.status === 'RUNNING' || operation.status === 'UNDOING' || operation.active_subject !== null)
    .map((operation) => `${operation.kind} ${operation.subject} ${operation.status}`);
}

/** Both checks at once, for `expect(await consistency(...)).toEqual([])`. */
export async function consistency(aws: FakeAws, databaseUrl: string): Promise<string[]> {
  const rows = await readRows(databaseUrl);
  return [
    ...inconsistencies(aws.snapshot(), rows, { region: aws.region, accountId: aws.accountId }),
    ...staleDocuments(aws, rows),
    ...unfinished(await readOperations(databaseUrl)),
  ];
}
