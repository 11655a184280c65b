import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'supertest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import type { Env } from '../../src/config/env-parsers.js';
import { SiteDeviceCleanup } from '../../src/devices/site-device-cleanup.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { IotEndpoint } from '../../src/aws/iot-endpoint.js';
import { FakeAws, type FakeAwsSnapshot } from '../fakes/fake-aws.js';
import { createTestCsr } from '../support/csr.js';
import { createTestDatabase } from '../support/database.js';
import { insertSite } from '../support/factories.js';
import { registerDevice, registeredSiteDevice, registerSiteDevice } from '../support/http/devices.js';
import { consistency, readOperations, readRows, unfinished, type BusinessRows, type OperationRow } from '../support/invariants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { admin } from '../support/http/admin.js';
import { withClient } from '../support/pg.js';
import { signIn } from '../support/http/sessions.js';
import { createUser, PASSWORD } from '../support/http/users.js';
import { createSite, member, removeMember, setMember } from '../support/http/sites.js';
import { expectedSlots, slotsInAws } from '../support/entitlements.js';
import { fillingSites } from '../support/site-fixtures.js';

/**
 * Durability matrix: every operation × every AWS call it makes, failed, answered but lost, or
 * "killed" mid-call, against the stateful fakes and a real Postgres. One surviving process (main)
 * sets up, fails and recovers; a kill runs the request in a second process (the victim) that stops
 * at the chosen call and never comes back on its own.
 */

/** The shortest lease the config allows: a killed process's operation is recoverable half a second later. */
export const LEASE_MS = 500;

export interface Rig {
  databaseUrl: string;
  aws: FakeAws;
  /** The surviving process: setup, failures, recovery. */
  main: TestApp;
  env: Env;
  close(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const database = await createTestDatabase();
  const aws = new FakeAws();
  const env: Env = { OPERATION_LEASE_MS: String(LEASE_MS) };
  const main = await startTestApp({ databaseUrl: database.url, aws, env });
  // The MQTT endpoint is asked for once per process: ask now, so every operation makes the same calls every time.
  await main.app.get(IotEndpoint).get();
  return {
    databaseUrl: database.url,
    aws,
    main,
    env,
    async close() {
      await main.close();
      await database.drop();
    },
  };
}

/** What a scenario works on: the user (or site) it created, and the device and certificates when it has them. */
export interface Subject {
  username: string;
  /** A site's scenario: the site, named as `username` (a site has no user). */
  site?: { id: string; name: string };
  /** The device's name within its site. */
  deviceName?: string;
  thingName?: string;
  certificateIds?: string[];
  /** A membership scenario: the site the request changes, and the other sites the user is in. */
  joinedSite?: string;
  otherSites?: string[];
}

export interface Scenario {
  name: string;
  /** The operation the request runs; calls outside it (a sign-in's AdminInitiateAuth) have none. */
  kind: string;
  /**
   * As the operation declares it. 'undo': a failure must leave nothing behind; 'finish': a failure
   * is finished by a re-run or by recovery; 'keep': what was done stays (the rows account for it),
   * the operation ends FAILED, and the next request completes it.
   */
  onFailure: 'undo' | 'finish' | 'keep';
  /** Every AWS call the request makes, in order, in a process that has warmed its caches. */
  calls: string[];
  setup(app: TestApp, username: string): Promise<Subject>;
  request(app: TestApp, subject: Subject): PromiseLike<Response>;
  success: number;
  /** What must hold once the request took effect (answered, re-run, or completed by recovery). */
  done(rig: Rig, subject: Subject): Promise<void>;
  /**
   * What a lost answer from this API leaves, because AWS gives no way to find what it made: the
   * known gaps, asserted exactly so they cannot grow. `settles`: the repeated request accounts for it.
   */
  lostAnswer?: Record<string, { leaves: RegExp; settles: boolean }>;
  /** APIs whose lost answer the operation recognises (it finds what the call made): the request succeeds. */
  lostAnswerRecognised?: string[];
  /**
   * Calls (by index) that read something AWS does not have, which AWS answers NotFound: "acted, the
   * answer lost" leaves nothing to act on, so the caller sees that NotFound, as when nothing fails.
   */
  answersNotFound?: number[];
  /** Creations: the AWS calls of the undo that follows a failure of the last call, in order. */
  undoCalls?: string[];
  /**
   * Calls (by index) of a step that runs once the subject is gone for the API, the policy deleted
   * last, with the kind of the operation making them: whatever fails there parks that step
   * `waiting`, the request answers success, and recovery finishes the step once it is due.
   */
  waitingAt?: Record<number, string>;
  /**
   * The first calls are a read-only scan that runs before any operation starts (a drift repair
   * scans first): killed there, the process leaves everything as it was, and the request run
   * again does the whole job.
   */
  scanCalls?: number;
  /**
   * For a request that answers 200 and reports a failed item in its body (a drift repair goes on
   * past each failure): the error code it reports, or undefined when nothing failed. Its scan's
   * failures still answer 503.
   */
  reportedFailure?(response: Response): string | undefined;
  /** The policy a waiting step of `kind` has yet to delete, when the parked operation's params do not name it (`policyName`). */
  waitingPolicy?: (subject: Subject, kind: string) => string | undefined;
}

/**
 * CreateKeysAndCertificate is not idempotent and returns the only handle on what it made: when
 * the answer is lost, the new certificate (ACTIVE, attached to nothing, so usable for nothing)
 * cannot be told apart from another application's. Drift detection lists it under
 * unattachedCertificates for review; here it is removed by hand. (A CSR's certificate is found by
 * its public key, so CreateCertificateFromCsr has no such gap.)
 */
const LOST_CERTIFICATE = { leaves: /^orphan certificate [0-9a-f]{64} \(ACTIVE\)$/, settles: false };

/** One AWS call of a scenario: the nth call of that API during the request. */
export interface CallPoint {
  index: number;
  api: string;
  nth: number;
}

export function callPoints(calls: string[]): CallPoint[] {
  return calls.map((api, index) => ({ index: index + 1, api, nth: calls.slice(0, index + 1).filter((name) => name === api).length }));
}

let counter = 0;
/** A fresh username per case, so no case sees another's subject. */
export function freshUsername(prefix: string): string {
  return `${prefix}-${(counter++).toString(36)}-${randomBytes(2).toString('hex')}`;
}

// ---- setups (through the surviving process, before any fault is armed) ----

export async function provisionedUser(app: TestApp, username: string, options: { signedIn?: boolean; device?: boolean; rotated?: boolean } = {}) {
  const created = await createUser(app, { username, temporaryPassword: PASSWORD });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  app.aws.userPool.user(username)!.status = 'CONFIRMED';
  const subject: Subject = { username };
  if (options.signedIn) expect((await signIn(app, username)).status).toBe(200);
  if (options.device) {
    const registered = await registerDevice(app, username, { name: 'dev', csr: createTestCsr().csrPem });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    subject.thingName = registered.body.thingName;
    subject.certificateIds = [registered.body.certificate.certificateId];
  }
  if (options.rotated) {
    const rotated = await admin(app).post(`/v1/devices/${subject.thingName}/certificates`).send({ csr: createTestCsr().csrPem });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    subject.certificateIds!.push(rotated.body.certificateId);
  }
  return subject;
}

/** A site (a row, as creating a site leaves it) named `name`, with a device registered from a CSR when asked. */
export async function siteWithDevice(app: TestApp, name: string, options: { device?: boolean } = {}): Promise<Subject> {
  const subject: Subject = { username: name, site: { id: await insertSite(app, name), name } };
  if (options.device) {
    const registered = await registerSiteDevice(app, name, { name: 'dev', csr: createTestCsr().csrPem });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    subject.deviceName = 'dev';
    subject.thingName = registered.body.thingName;
    subject.certificateIds = [registered.body.certificate.certificateId];
  }
  return subject;
}

/** Removes what the case left (through the service itself) and checks the fakes and tables are empty again. */
export async function cleanUp(rig: Rig, subject: Subject): Promise<void> {
  if (subject.site) {
    // What deleting the site does to its devices; the site row itself has nothing in AWS.
    await rig.main.app.get(SiteDeviceCleanup).deleteSiteDevices(subject.site);
    await withClient(rig.databaseUrl, (client) => client.query('DELETE FROM sites WHERE id = $1', [subject.site!.id]));
  }
  const rows = await readRows(rig.databaseUrl);
  if (rows.users.some((user) => user.username === subject.username)) {
    const removed = await admin(rig.main).delete(`/v1/users/${subject.username}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
  }
  // The user's deletion took their memberships: the sites have none left to take off.
  for (const site of rows.sites) {
    const removed = await admin(rig.main).delete(`/v1/sites/${site.name}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
  }
  expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([]);
  expect(rig.aws.snapshot()).toEqual(emptySnapshot());
  expect(await readRows(rig.databaseUrl)).toEqual({ users: [], devices: [], certificates: [], sites: [], members: [] });
}

function emptySnapshot(): FakeAwsSnapshot {
  return { things: [], certificates: [], policies: [], policyAttachments: [], thingPrincipals: [], users: [], identities: [] };
}

/** Order-insensitive, so "the same resources" compares equal whatever order the fakes list them in. */
export function normalized(snapshot: FakeAwsSnapshot): Record<string, string[]> {
  return Object.fromEntries(Object.entries(snapshot).map(([key, items]) => [key, (items as unknown[]).map((item) => JSON.stringify(item)).sort()]));
}

interface Before {
  aws: Record<string, string[]>;
  rows: BusinessRows;
  operations: OperationRow[];
}

async function capture(rig: Rig): Promise<Before> {
  return { aws: normalized(rig.aws.snapshot()), rows: await readRows(rig.databaseUrl), operations: await readOperations(rig.databaseUrl) };
}

/** The operations the request started. */
async function operationsSince(rig: Rig, before: Before): Promise<OperationRow[]> {
  const known = new Set(before.operations.map((operation) => operation.id));
  return (await readOperations(rig.databaseUrl)).filter((operation) => !known.has(operation.id));
}

/**
 * After a creation failed or was recovered: everything as it was before the request, and its
 * operation UNDONE. An operation that keeps its progress ends FAILED instead, what it did kept.
 */
async function expectUndone(rig: Rig, scenario: Scenario, before: Before, point: CallPoint, leftover?: RegExp): Promise<void> {
  const problems = await consistency(rig.aws, rig.databaseUrl);
  if (leftover) {
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(leftover);
  } else {
    expect(problems).toEqual([]);
  }
  const started = (await operationsSince(rig, before)).filter((operation) => operation.kind === scenario.kind);
  // Calls before the operation (DescribeEndpoint) start none; calls after it (GetCredentialsForIdentity) follow a completed one.
  const after = scenario.calls.length - point.index;
  const stopped = scenario.onFailure === 'keep' ? (after > 0 ? 'FAILED' : 'COMPLETED') : 'UNDONE';
  for (const operation of started) expect(operation.status).toBe(stopped);
  if (scenario.onFailure === 'undo') {
    if (!leftover) expect(normalized(rig.aws.snapshot())).toEqual(before.aws);
    expect(await readRows(rig.databaseUrl)).toEqual(before.rows);
  }
}

interface HeldOperation {
  id: string;
  kind: string;
  subject: string;
  status: string;
  lease_owner: string | null;
  params: { policyName?: string };
  steps: Array<{ name: string; status: string; attempts?: number; retryAt?: string; error?: { code: string } }>;
}

function heldOperations(rig: Rig): Promise<HeldOperation[]> {
  return withClient(
    rig.databaseUrl,
    async (client) =>
      (
        await client.query<HeldOperation>(
          'SELECT id, kind, subject, status, lease_owner, params, steps FROM operations WHERE active_subject IS NOT NULL ORDER BY created_at',
        )
      ).rows,
  );
}

/**
 * After a failure in a step that waits: the request took effect for the API, one operation of
 * `kind` is parked RUNNING with its policy step waiting (the policy the only thing left in AWS,
 * unless AWS deleted it and only the answer was lost), recovery leaves it alone until it is due,
 * then finishes it: no orphan, no ghost, nothing held.
 */
async function expectWaitingThenRecovered(rig: Rig, scenario: Scenario, subject: Subject, kind: string): Promise<void> {
  await scenario.done(rig, subject);
  const held = await heldOperations(rig);
  expect(held.map((operation) => `${operation.kind} ${operation.status}`)).toEqual([`${kind} RUNNING`]);
  const [parked] = held;
  expect(parked!.lease_owner).toBeNull();
  const waiting = parked!.steps.filter((step) => step.status === 'waiting');
  expect(waiting).toMatchObject([{ name: expect.stringMatching(/^deletePolic(y|ies)$/), attempts: 1, error: { code: 'CONFLICT' } }]);
  expect(Date.parse(waiting[0]!.retryAt!)).toBeGreaterThan(Date.now());
  const policyName = scenario.waitingPolicy?.(subject, kind) ?? parked!.params.policyName!;
  const left = rig.aws.snapshot().policies.includes(policyName) ? [`orphan policy ${policyName}`] : [];
  const parkedLine = `${kind} ${parked!.subject} RUNNING`;
  expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([...left, parkedLine]);

  const recovery = rig.main.app.get(RecoveryService);
  await recovery.recoverAll();
  expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([...left, parkedLine]);
  await withClient(rig.databaseUrl, (client) =>
    client.query("UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [parked!.id]),
  );
  await recovery.recoverAll();
  expect((await readOperations(rig.databaseUrl)).find((operation) => operation.id === parked!.id)).toMatchObject({
    status: 'COMPLETED',
    active_subject: null,
  });
  await scenario.done(rig, subject);
  expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([]);
}

/** Stands in for a drift repair: retires the certificates no row claims. */
async function removeUnclaimedCertificates(rig: Rig): Promise<void> {
  const claimed = new Set((await readRows(rig.databaseUrl)).certificates.map((row) => row.certificate_id));
  for (const { certificateId } of rig.aws.snapshot().certificates) {
    if (claimed.has(certificateId)) continue;
    await rig.aws.iot.updateCertificateStatus(certificateId, 'INACTIVE');
    await rig.aws.iot.deleteCertificate(certificateId);
  }
}

const FAULT_CODES = { unavailable: 'AWS_UNAVAILABLE', throttle: 'AWS_THROTTLED' } as const;

/**
 * (a) AWS fails the call (or acts and the answer is lost): the client gets the mapped 503; a
 * creation leaves nothing, a deletion is finished by running the same request again. A call of a
 * waiting step (`waitingAt`) answers success instead, and recovery finishes the step once due.
 */
export async function failureCase(rig: Rig, scenario: Scenario, point: CallPoint, fault: 'unavailable' | 'throttle', lost = false): Promise<void> {
  const subject = await scenario.setup(rig.main, freshUsername(scenario.name.slice(0, 8).replace(/[^a-z]/g, '') || 'u'));
  const before = await capture(rig);
  rig.aws.faults.inject({ api: point.api, error: fault, after: point.nth - 1, lost });
  let response: Response;
  try {
    response = await scenario.request(rig.main, subject);
  } finally {
    rig.aws.faults.clear();
  }
  const waitingKind = scenario.waitingAt?.[point.index];
  if (waitingKind) {
    expect(response.status, JSON.stringify(response.body)).toBe(scenario.success);
    await expectWaitingThenRecovered(rig, scenario, subject, waitingKind);
    await cleanUp(rig, subject);
    return;
  }
  if (lost && (scenario.lostAnswerRecognised?.includes(point.api) || scenario.answersNotFound?.includes(point.index))) {
    expect(response.status, JSON.stringify(response.body)).toBe(scenario.success);
    await scenario.done(rig, subject);
    expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([]);
    await cleanUp(rig, subject);
    return;
  }
  const reported = scenario.reportedFailure?.(response);
  if (reported !== undefined) {
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(reported).toBe(FAULT_CODES[fault]);
  } else {
    expect(response.status, JSON.stringify(response.body)).toBe(503);
    expect(response.body.code).toBe(FAULT_CODES[fault]);
    if (fault === 'throttle') expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  }
  const gap = lost ? scenario.lostAnswer?.[point.api] : undefined;
  if (scenario.onFailure !== 'finish') await expectUndone(rig, scenario, before, point, gap?.leaves);
  else expect(unfinished(await readOperations(rig.databaseUrl))).toEqual([]);

  const again = await scenario.request(rig.main, subject);
  expect(again.status, JSON.stringify(again.body)).toBe(scenario.success);
  expect(scenario.reportedFailure?.(again)).toBeUndefined();
  await scenario.done(rig, subject);
  if (gap && !gap.settles) {
    const problems = await consistency(rig.aws, rig.databaseUrl);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(gap.leaves);
    await removeUnclaimedCertificates(rig);
  }
  expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([]);
  await cleanUp(rig, subject);
}

/**
 * (b) The process dies at the call: the victim stops there, before the call reaches AWS or right
 * after AWS acted (it never hears back), and shuts down, so it stops renewing its lease; the
 * surviving process's recovery takes the operation over once the lease ran out and finishes or
 * undoes it. Then the victim "wakes up" with the call failing: it must neither write nor touch
 * AWS, the operation now belonging to recovery. (At a waiting step's call the woken request
 * answers as a parked one would: success, or 409 when its outer operation was taken over.)
 */
export async function crashCase(rig: Rig, scenario: Scenario, point: CallPoint, when: 'before' | 'after' = 'before'): Promise<void> {
  const scanning = point.index <= (scenario.scanCalls ?? 0);
  const subject = await scenario.setup(rig.main, freshUsername(scenario.name.slice(0, 8).replace(/[^a-z]/g, '') || 'u'));
  // A deletion goes forward; so does a creation stopped in its waiting step, past its point of no return.
  const forward = scenario.onFailure === 'finish' || scenario.waitingAt?.[point.index] === scenario.kind;
  const before = await capture(rig);
  const victim = await startTestApp({ databaseUrl: rig.databaseUrl, aws: rig.aws, env: rig.env });
  let wake!: (error: Error) => void;
  let stopHook = () => {};
  const reached = new Promise<void>((resolve) => {
    let seen = 0;
    stopHook = (when === 'before' ? rig.aws.onCall.bind(rig.aws) : rig.aws.onCallDone.bind(rig.aws))(point.api, () => {
      if (++seen < point.nth) return;
      stopHook();
      resolve();
      return new Promise<void>((_, reject) => (wake = reject));
    });
  });
  const pending = Promise.resolve(scenario.request(victim, subject));
  let closing: Promise<void> | undefined;
  try {
    await reached;
    // Shutting down stops the lease renewals at once; the HTTP server waits for the stuck request.
    closing = victim.close();
    const recovery = rig.main.app.get(RecoveryService);
    await expect
      .poll(
        async () => {
          await recovery.recoverAll();
          return unfinished(await readOperations(rig.databaseUrl));
        },
        { timeout: 20_000, interval: 100 },
      )
      .toEqual([]);

    // After AWS acted, what no record names is a known gap (see lostAnswer), asserted exactly.
    const gap = when === 'after' ? scenario.lostAnswer?.[point.api] : undefined;
    if (scanning) {
      // Killed before any operation started: nothing was started, nothing changed.
      expect(await operationsSince(rig, before)).toEqual([]);
      expect(normalized(rig.aws.snapshot())).toEqual(before.aws);
      expect(await readRows(rig.databaseUrl)).toEqual(before.rows);
    } else if (!forward) {
      await expectUndone(rig, scenario, before, point, gap?.leaves);
    } else {
      const started = await operationsSince(rig, before);
      expect(started.filter((operation) => operation.kind === scenario.kind).map((operation) => operation.status)).toEqual(['COMPLETED']);
      await scenario.done(rig, subject);
      expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([]);
    }

    // The killed process comes back: what it was waiting for fails. Fenced out, it changes nothing.
    const settled = { aws: normalized(rig.aws.snapshot()), operations: await readOperations(rig.databaseUrl), calls: rig.aws.calls.length };
    wake(new DomainError('AWS_UNAVAILABLE', 'the process was killed here'));
    const zombie = await pending;
    const waitingKind = scenario.waitingAt?.[point.index];
    if (scenario.reportedFailure && zombie.status === 200) {
      // Fenced out, the step it was in failed, and the request reports that item failed.
      expect(scenario.reportedFailure(zombie), JSON.stringify(zombie.body)).toBeDefined();
    } else if (waitingKind === undefined) {
      expect(zombie.status, JSON.stringify(zombie.body)).toBe(503);
    } else if (waitingKind === scenario.kind) {
      // Its step would wait, and recovery has it already: the deletion took effect for the API.
      expect(zombie.status, JSON.stringify(zombie.body)).toBe(scenario.success);
    } else {
      // The inner operation's step waits; the outer one, taken over, goes no further.
      expect(zombie.status, JSON.stringify(zombie.body)).toBe(409);
      expect(zombie.body.code).toBe('OPERATION_IN_PROGRESS');
    }
    await closing;
    closing = undefined;
    expect(rig.aws.calls.length).toBe(settled.calls);
    expect(normalized(rig.aws.snapshot())).toEqual(settled.aws);
    expect(await readOperations(rig.databaseUrl)).toEqual(settled.operations);
  } finally {
    stopHook();
    wake?.(new DomainError('AWS_UNAVAILABLE', 'the process was killed here'));
    await pending.catch(() => undefined);
    await (closing ?? victim.close());
  }

  if (!forward || scanning) {
    const again = await scenario.request(rig.main, subject);
    expect(again.status, JSON.stringify(again.body)).toBe(scenario.success);
    expect(scenario.reportedFailure?.(again)).toBeUndefined();
    await scenario.done(rig, subject);
    const gap = when === 'after' ? scenario.lostAnswer?.[point.api] : undefined;
    if (gap && !gap.settles) await removeUnclaimedCertificates(rig);
    expect(await consistency(rig.aws, rig.databaseUrl)).toEqual([]);
  }
  await cleanUp(rig, subject);
}

/** The calls the undo makes when the scenario's last AWS call fails, for checking `undoCalls`. */
export async function probeUndoCalls(rig: Rig, scenario: Scenario): Promise<string[]> {
  const subject = await scenario.setup(rig.main, freshUsername('probe'));
  const last = callPoints(scenario.calls).at(-1)!;
  rig.aws.faults.inject({ api: last.api, error: 'unavailable', after: last.nth - 1 });
  rig.aws.resetCalls();
  expect((await scenario.request(rig.main, subject)).status).toBe(503);
  const calls = rig.aws.calls.map((call) => call.api);
  await cleanUp(rig, subject);
  return calls.slice(scenario.calls.length);
}

/**
 * (c) A creation fails and then its undo fails too (AWS still down): the operation stays UNDOING,
 * holding its subject, so nothing else touches the half-made resources; once AWS answers, recovery
 * completes the undo and frees the subject.
 */
export async function undoFailureCase(rig: Rig, scenario: Scenario, point: CallPoint): Promise<void> {
  const subject = await scenario.setup(rig.main, freshUsername(scenario.name.slice(0, 8).replace(/[^a-z]/g, '') || 'u'));
  const before = await capture(rig);
  const last = callPoints(scenario.calls).at(-1)!;
  rig.aws.faults.inject({ api: last.api, error: 'unavailable', after: last.nth - 1 });
  // The undo's own calls of that API come after the forward ones already counted.
  const forwardCalls = scenario.calls.filter((api) => api === point.api).length;
  rig.aws.faults.inject({ api: point.api, error: 'unavailable', after: forwardCalls + point.nth - 1 });
  let response: Response;
  try {
    response = await scenario.request(rig.main, subject);
  } finally {
    rig.aws.faults.clear();
  }
  expect(response.status, JSON.stringify(response.body)).toBe(503);
  const [operation] = (await operationsSince(rig, before)).filter((candidate) => candidate.kind === scenario.kind);
  expect(operation).toMatchObject({ status: 'UNDOING', active_subject: expect.any(String) });
  // Held: the same request cannot start over the half-undone resources.
  const meanwhile = await scenario.request(rig.main, subject);
  expect(meanwhile.status).toBe(409);
  expect(meanwhile.body.code).toBe('OPERATION_IN_PROGRESS');

  const recovery = rig.main.app.get(RecoveryService);
  await expect
    .poll(
      async () => {
        await recovery.recoverAll();
        return unfinished(await readOperations(rig.databaseUrl));
      },
      { timeout: 20_000, interval: 100 },
    )
    .toEqual([]);
  await expectUndone(rig, scenario, before, last);
  const again = await scenario.request(rig.main, subject);
  expect(again.status, JSON.stringify(again.body)).toBe(scenario.success);
  await cleanUp(rig, subject);
}

/**
 * The matrix for some scenarios, table-driven over every AWS call each makes: a failure (or a
 * throttle) answers the mapped 503 and leaves no orphan and no ghost, a creation undone, a
 * deletion finished by a re-run, kept progress completed by the next request, a waiting step's
 * call answered with success and finished by recovery once due; a kill at the call
 * is finished or undone by recovery in another process, and the killed process, waking up,
 * changes nothing.
 */
export function describeDurability(scenarios: Scenario[]): void {
  describe.each(scenarios)('durability: $name', (scenario) => {
    let rig: Rig;

    beforeAll(async () => {
      rig = await startRig();
    });
    afterAll(async () => rig?.close());

    it('makes exactly the AWS calls the matrix covers', async () => {
      expect(await probeCalls(rig, scenario)).toEqual(scenario.calls);
    });

    // A call of a waiting step answers success whatever fails; the titles say which cases those are.
    const points = callPoints(scenario.calls).map((point) => ({
      ...point,
      answer: scenario.waitingAt?.[point.index]
        ? `${scenario.success}, the step waits`
        : scenario.reportedFailure && point.index > (scenario.scanCalls ?? 0)
          ? '200 reporting the item failed'
          : '503',
    }));

    it.each(points)('AWS unavailable at call $index ($api #$nth): $answer, then consistent', (point) =>
      failureCase(rig, scenario, point, 'unavailable'),
    );

    it.each(points)('AWS throttles call $index ($api #$nth): $answer, then consistent', (point) => failureCase(rig, scenario, point, 'throttle'));

    it.each(points)('AWS acts on call $index ($api #$nth) but the answer is lost: $answer, then consistent', (point) =>
      failureCase(rig, scenario, point, 'unavailable', true),
    );

    const undoPoints = callPoints(scenario.undoCalls ?? []);
    if (undoPoints.length > 0) {
      it('undoes with exactly the AWS calls the matrix covers', async () => {
        expect(await probeUndoCalls(rig, scenario)).toEqual(scenario.undoCalls);
      });

      it.each(undoPoints)('the undo fails too, at its call $index ($api #$nth): held UNDOING, recovery completes the undo', (point) =>
        undoFailureCase(rig, scenario, point),
      );
    }

    it.each(points)(
      'killed at call $index ($api #$nth) before it reaches AWS: recovery in another process ends it, the killed one changes nothing',
      (point) => crashCase(rig, scenario, point, 'before'),
    );

    // Deletions repeat every step idempotently; creations must also undo (or keep) what AWS did but never confirmed.
    if (scenario.onFailure !== 'finish') {
      it.each(points)('killed right after AWS acted on call $index ($api #$nth): recovery undoes it, the killed one changes nothing', (point) =>
        crashCase(rig, scenario, point, 'after'),
      );
    }
  });
}

// ---- the operations ----

async function userRow(rig: Rig, username: string) {
  return (await readRows(rig.databaseUrl)).users.find((user) => user.username === username);
}

export const SCENARIOS: Record<string, Scenario> = {
  createUser: {
    name: 'create user',
    kind: 'create-user',
    onFailure: 'undo',
    calls: ['AdminGetUser', 'AdminCreateUser', 'CreatePolicy'],
    undoCalls: ['DeletePolicy', 'AdminGetUser', 'AdminDeleteUser'],
    setup: async (_app, username) => ({ username }),
    request: (app, { username }) => createUser(app, { username, temporaryPassword: PASSWORD }),
    success: 201,
    async done(rig, { username }) {
      expect(await userRow(rig, username)).toBeDefined();
      expect(rig.aws.userPool.user(username)).toBeDefined();
    },
  },
  deleteUser: {
    name: 'delete user',
    kind: 'delete-user',
    onFailure: 'finish',
    calls: [
      // its device, through a device deletion
      'ListThingPrincipals',
      'DetachThingPrincipal',
      'ListTargetsForPolicy',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
      // its own policy's attachments, identity and pool user; the policy last
      'ListTargetsForPolicy',
      'DetachPolicy',
      'DeleteIdentities',
      'AdminDeleteUser',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    waitingAt: { 8: 'delete-device', 9: 'delete-device', 14: 'delete-user', 15: 'delete-user' },
    setup: (app, username) => provisionedUser(app, username, { signedIn: true, device: true }),
    request: (app, { username }) => admin(app).delete(`/v1/users/${username}`),
    success: 204,
    async done(rig, { username }) {
      expect(await userRow(rig, username)).toBeUndefined();
      expect(rig.aws.userPool.user(username)).toBeUndefined();
    },
  },
  signIn: {
    name: 'first sign-in (link identity)',
    kind: 'link-identity',
    onFailure: 'keep',
    calls: ['AdminInitiateAuth', 'GetId', 'AttachPolicy', 'GetCredentialsForIdentity'],
    // GetId made the identity but the row does not name it; GetId answers the same id for the same
    // user, so the next sign-in records it. (Deleting the user before that leaves the identity in the
    // identity pool: no row names it for DeleteIdentities.)
    lostAnswer: { GetId: { leaves: /^orphan identity /, settles: true } },
    setup: (app, username) => provisionedUser(app, username),
    request: (app, { username }) => signIn(app, username),
    success: 200,
    async done(rig, { username }) {
      expect(await userRow(rig, username)).toMatchObject({ identity_id: expect.any(String), policy_attached: true });
    },
  },
  registerWithCsr: {
    name: 'register device (CSR)',
    kind: 'register-device',
    onFailure: 'undo',
    calls: ['CreatePolicy', 'CreateThing', 'CreateCertificateFromCsr', 'AttachPolicy', 'AttachThingPrincipal'],
    lostAnswerRecognised: ['CreateCertificateFromCsr'],
    undoCalls: [
      'DetachThingPrincipal',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    setup: (app, username) => provisionedUser(app, username),
    request: (app, { username }) => registerDevice(app, username, { name: 'dev', csr: createTestCsr().csrPem }),
    success: 201,
    async done(rig) {
      expect((await readRows(rig.databaseUrl)).devices).toHaveLength(1);
    },
  },
  registerWithGeneratedKeys: {
    name: 'register device (generated keys)',
    kind: 'register-device',
    onFailure: 'undo',
    calls: ['CreatePolicy', 'CreateThing', 'CreateKeysAndCertificate', 'AttachPolicy', 'AttachThingPrincipal'],
    lostAnswer: { CreateKeysAndCertificate: LOST_CERTIFICATE },
    undoCalls: [
      'DetachThingPrincipal',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    setup: (app, username) => provisionedUser(app, username),
    request: (app, { username }) => registerDevice(app, username, { name: 'dev' }),
    success: 201,
    async done(rig) {
      expect((await readRows(rig.databaseUrl)).devices).toHaveLength(1);
    },
  },
  rotate: {
    name: 'rotate certificate',
    kind: 'rotate-certificate',
    onFailure: 'undo',
    calls: ['CreateCertificateFromCsr', 'AttachPolicy', 'AttachThingPrincipal'],
    lostAnswerRecognised: ['CreateCertificateFromCsr'],
    undoCalls: ['DetachThingPrincipal', 'DetachPolicy', 'UpdateCertificate', 'DeleteCertificate'],
    setup: (app, username) => provisionedUser(app, username, { device: true }),
    request: (app, { thingName }) => admin(app).post(`/v1/devices/${thingName}/certificates`).send({ csr: createTestCsr().csrPem }),
    success: 201,
    async done(rig) {
      expect((await readRows(rig.databaseUrl)).certificates).toHaveLength(2);
    },
  },
  revoke: {
    name: 'revoke certificate',
    kind: 'revoke-certificate',
    onFailure: 'finish',
    calls: ['DetachThingPrincipal', 'DetachPolicy', 'UpdateCertificate', 'DeleteCertificate'],
    setup: (app, username) => provisionedUser(app, username, { device: true, rotated: true }),
    request: (app, { thingName, certificateIds }) => admin(app).delete(`/v1/devices/${thingName}/certificates/${certificateIds![0]}`),
    success: 204,
    async done(rig, { certificateIds }) {
      expect((await readRows(rig.databaseUrl)).certificates.map((row) => row.certificate_id)).toEqual([certificateIds![1]]);
      expect(rig.aws.snapshot().certificates.map((certificate) => certificate.certificateId)).toEqual([certificateIds![1]]);
    },
  },
  deleteDevice: {
    name: 'delete device',
    kind: 'delete-device',
    onFailure: 'finish',
    calls: [
      'ListThingPrincipals',
      'DetachThingPrincipal',
      'DetachThingPrincipal',
      'ListTargetsForPolicy',
      'DetachPolicy',
      'DetachPolicy',
      'UpdateCertificate',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    waitingAt: { 12: 'delete-device', 13: 'delete-device' },
    setup: (app, username) => provisionedUser(app, username, { device: true, rotated: true }),
    request: (app, { thingName }) => admin(app).delete(`/v1/devices/${thingName}`),
    success: 204,
    async done(rig, { thingName }) {
      expect((await readRows(rig.databaseUrl)).devices).toEqual([]);
      expect(rig.aws.snapshot().things.map((thing) => thing.thingName)).not.toContain(thingName);
    },
  },
  registerSiteDevice: {
    name: "register a site's device (CSR)",
    kind: 'register-device',
    onFailure: 'undo',
    calls: ['CreatePolicy', 'CreateThing', 'CreateCertificateFromCsr', 'AttachPolicy', 'AttachThingPrincipal'],
    lostAnswerRecognised: ['CreateCertificateFromCsr'],
    undoCalls: [
      'DetachThingPrincipal',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    setup: (app, name) => siteWithDevice(app, name),
    request: (app, { site }) => registerSiteDevice(app, site!.name, { name: 'dev', csr: createTestCsr().csrPem }),
    success: 201,
    async done(rig, { site }) {
      const { devices } = await readRows(rig.databaseUrl);
      expect(devices.map((device) => [device.thing_name, device.user_id])).toEqual([[`iotp-site_${site!.name}_dev`, null]]);
    },
  },
  deleteSiteDevice: {
    name: "delete a site's device",
    kind: 'delete-device',
    onFailure: 'finish',
    calls: [
      'ListThingPrincipals',
      'DetachThingPrincipal',
      'ListTargetsForPolicy',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    waitingAt: { 8: 'delete-device', 9: 'delete-device' },
    setup: (app, name) => siteWithDevice(app, name, { device: true }),
    request: (app, { site, deviceName }) => admin(app).delete(`/v1/sites/${site!.name}/devices/${deviceName}`),
    success: 204,
    async done(rig, { thingName }) {
      expect((await readRows(rig.databaseUrl)).devices).toEqual([]);
      expect(rig.aws.snapshot().things.map((thing) => thing.thingName)).not.toContain(thingName);
    },
  },
  disable: {
    name: 'disable user',
    kind: 'disable-user',
    onFailure: 'finish',
    calls: ['DetachPolicy', 'AdminDisableUser', 'AdminUserGlobalSignOut'],
    setup: (app, username) => provisionedUser(app, username, { signedIn: true }),
    request: (app, { username }) => admin(app).post(`/v1/users/${username}/disable`),
    success: 204,
    async done(rig, { username }) {
      expect(await userRow(rig, username)).toMatchObject({ status: 'DISABLED', policy_attached: false });
      expect(rig.aws.userPool.user(username)?.enabled).toBe(false);
      expect(rig.aws.snapshot().policyAttachments).toEqual([]);
    },
  },
  driftDeleteCognitoUser: {
    name: 'drift repair: a pool user no row claims',
    kind: 'drift-delete-cognito-user',
    onFailure: 'finish',
    // The scan of one user (lists of things and policies, the pool user), then the repair: its check, the deletion.
    calls: ['ListThings', 'ListPolicies', 'AdminGetUser', 'AdminGetUser', 'AdminDeleteUser'],
    scanCalls: 3,
    async setup(app, username) {
      // What a creation whose AdminCreateUser answer was lost, and whose process died before the undo, leaves.
      await app.aws.userPool.createUser({ username, userId: randomUUID(), sendInvite: false, temporaryPassword: PASSWORD });
      return { username };
    },
    request: (app, { username }) => admin(app).post(`/v1/admin/drift/repair?dryRun=false&user=${username}`),
    success: 200,
    reportedFailure: (response) =>
      response.status === 200 ? (response.body.orphans as Array<{ error?: { code: string } }>).find((item) => item.error)?.error?.code : undefined,
    async done(rig, { username }) {
      expect(rig.aws.userPool.user(username)).toBeUndefined();
    },
  },
  enable: {
    name: 'enable user',
    kind: 'enable-user',
    onFailure: 'finish',
    calls: ['AdminEnableUser'],
    async setup(app, username) {
      const subject = await provisionedUser(app, username, { signedIn: true });
      expect((await admin(app).post(`/v1/users/${username}/disable`)).status).toBe(204);
      return subject;
    },
    request: (app, { username }) => admin(app).post(`/v1/users/${username}/enable`),
    success: 204,
    async done(rig, { username }) {
      expect(await userRow(rig, username)).toMatchObject({ status: 'ACTIVE' });
      expect(rig.aws.userPool.user(username)?.enabled).toBe(true);
    },
  },
};

// ---- sites: a user whose first policy is full, so one site more or less makes or frees a second policy ----

let siteTags = 0;

/** A signed-in user in every site that fills their first policy; with `joined`, also in the one that sorts first (two policies). */
async function userInFullSites(app: TestApp, username: string, joined: boolean): Promise<Subject> {
  const subject = await provisionedUser(app, username, { signedIn: true });
  const { fill, first } = fillingSites(app.aws, username, `s${(siteTags++).toString(36)}`);
  for (const site of [...fill, first]) expect((await createSite(app, site)).status).toBe(201);
  for (const site of [...fill, ...(joined ? [first] : [])]) await member(app, site, username, 'operator');
  return { ...subject, joinedSite: first, otherSites: fill };
}

/**
 * The user's slot policies in AWS and on their identity are what `sites` (as operator) compile to.
 * A policy no longer needed may be left detached while its deletion waits (the consistency check counts it).
 */
async function holdsSites(rig: Rig, username: string, sites: string[]): Promise<void> {
  const identityId = (await userRow(rig, username))?.identity_id;
  const expected = expectedSlots(
    rig.aws,
    'iotp',
    username,
    sites.map((site) => ({ site, role: 'operator' })),
  );
  const held = slotsInAws(rig.aws, 'iotp', username, identityId);
  expect(Object.fromEntries(Object.keys(expected).map((name) => [name, held.documents[name]]))).toEqual(expected);
  expect(held.attached).toEqual(Object.keys(expected).sort());
}

export const SITE_SCENARIOS: Record<string, Scenario> = {
  join: {
    name: 'join a site (a second policy)',
    kind: 'change-membership',
    onFailure: 'undo',
    // The slot read, the new one created and attached, the first versioned (at AWS's five versions: the oldest pruned first).
    calls: ['GetPolicy', 'CreatePolicy', 'AttachPolicy', 'ListPolicyVersions', 'DeletePolicyVersion', 'CreatePolicyVersion'],
    undoCalls: ['GetPolicy', 'DetachPolicy', 'ListPolicyVersions', 'DeletePolicy'],
    setup: (app, username) => userInFullSites(app, username, false),
    request: (app, { username, joinedSite }) => setMember(app, joinedSite!, username, 'operator'),
    success: 200,
    done: (rig, { username, joinedSite, otherSites }) => holdsSites(rig, username, [...otherSites!, joinedSite!]),
  },
  leave: {
    name: 'leave a site (a policy freed)',
    kind: 'change-membership',
    onFailure: 'undo',
    // The slots read, the first versioned (its oldest version pruned), the second detached, then deleted (a step that waits when refused).
    calls: [
      'GetPolicy',
      'GetPolicy',
      'ListPolicyVersions',
      'DeletePolicyVersion',
      'CreatePolicyVersion',
      'ListTargetsForPolicy',
      'DetachPolicy',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    waitingAt: { 8: 'change-membership', 9: 'change-membership' },
    waitingPolicy: ({ username }) => `iotp_${username}.2`,
    setup: (app, username) => userInFullSites(app, username, true),
    request: (app, { username, joinedSite }) => removeMember(app, joinedSite!, username),
    success: 200,
    done: (rig, { username, otherSites }) => holdsSites(rig, username, otherSites!),
  },
  deleteSite: {
    name: 'delete a site',
    kind: 'delete-site',
    onFailure: 'finish',
    calls: [
      // its device, through a device deletion
      'ListThingPrincipals',
      'DetachThingPrincipal',
      'ListTargetsForPolicy',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
      'ListPolicyVersions',
      'DeletePolicy',
      // its one member's change, as when they leave
      'GetPolicy',
      'GetPolicy',
      'ListPolicyVersions',
      'DeletePolicyVersion',
      'CreatePolicyVersion',
      'ListTargetsForPolicy',
      'DetachPolicy',
      'ListPolicyVersions',
      'DeletePolicy',
    ],
    waitingAt: { 8: 'delete-device', 9: 'delete-device', 17: 'change-membership', 18: 'change-membership' },
    waitingPolicy: ({ username }, kind) => (kind === 'change-membership' ? `iotp_${username}.2` : undefined),
    async setup(app, username) {
      const subject = await userInFullSites(app, username, true);
      const device = await registeredSiteDevice(app, subject.joinedSite!, 'reader');
      return { ...subject, thingName: device.thingName };
    },
    request: (app, { joinedSite }) => admin(app).delete(`/v1/sites/${joinedSite}`),
    success: 204,
    async done(rig, { username, joinedSite, otherSites, thingName }) {
      expect((await readRows(rig.databaseUrl)).sites.map((row) => row.name)).not.toContain(joinedSite);
      expect(rig.aws.snapshot().things.map((thing) => thing.thingName)).not.toContain(thingName);
      await holdsSites(rig, username, otherSites!);
    },
  },
  signInWithSites: {
    name: 'first sign-in of a member of sites',
    kind: 'link-identity',
    onFailure: 'keep',
    // Every slot attached, the first and the one the sites need.
    calls: ['AdminInitiateAuth', 'GetId', 'AttachPolicy', 'AttachPolicy', 'GetCredentialsForIdentity'],
    lostAnswer: { GetId: { leaves: /^orphan identity /, settles: true } },
    async setup(app, username) {
      const subject = await provisionedUser(app, username);
      const { fill, first } = fillingSites(app.aws, username, `s${(siteTags++).toString(36)}`);
      for (const site of [...fill, first]) expect((await createSite(app, site)).status).toBe(201);
      for (const site of [...fill, first]) await member(app, site, username, 'operator');
      return { ...subject, joinedSite: first, otherSites: fill };
    },
    request: (app, { username }) => signIn(app, username),
    success: 200,
    async done(rig, { username, joinedSite, otherSites }) {
      expect(await userRow(rig, username)).toMatchObject({ identity_id: expect.any(String), policy_attached: true });
      await holdsSites(rig, username, [...otherSites!, joinedSite!]);
    },
  },
};

/** A signed-in member of enough sites for two policies whose second one was deleted by hand (detached, then deleted). */
async function memberWithoutSecondPolicy(app: TestApp, username: string): Promise<Subject> {
  const subject = await userInFullSites(app, username, true);
  const policyName = `iotp_${username}.2`;
  for (const { target } of app.aws.iot.snapshot().policyAttachments.filter((link) => link.policyName === policyName)) {
    await app.aws.iot.detachPolicy(policyName, target);
  }
  for (const version of app.aws.iot.policyVersions(policyName).filter((candidate) => !candidate.isDefault)) {
    await app.aws.iot.deletePolicyVersion(policyName, version.versionId);
  }
  await app.aws.iot.deletePolicy(policyName);
  return subject;
}

SITE_SCENARIOS.driftRecreatePolicy = {
  name: "drift repair: a member's second policy AWS lost",
  kind: 'drift-recreate-policy',
  onFailure: 'finish',
  calls: [
    // The scan of the one user: the lists, each slot's targets and document (the second answers NotFound), the pool user.
    'ListThings',
    'ListPolicies',
    'ListTargetsForPolicy',
    'ListTargetsForPolicy',
    'GetPolicy',
    'GetPolicy',
    'ListPolicyVersions',
    'AdminGetUser',
    // The repair: its check, the policy made again and attached to the identity.
    'GetPolicy',
    'CreatePolicy',
    'AttachPolicy',
  ],
  scanCalls: 8,
  // The second policy's targets and document, and the repair's check: the policy is missing.
  answersNotFound: [4, 6, 9],
  setup: (app, username) => memberWithoutSecondPolicy(app, username),
  request: (app, { username }) => admin(app).post(`/v1/admin/drift/repair?dryRun=false&user=${username}`),
  success: 200,
  reportedFailure: (response) =>
    response.status === 200 ? (response.body.ghosts as Array<{ error?: { code: string } }>).find((item) => item.error)?.error?.code : undefined,
  async done(rig, { username, joinedSite, otherSites }) {
    // Recreated and attached; or, when a repeated repair found it made but not attached, the record reset: the next sign-in attaches every one.
    if (!(await userRow(rig, username))?.policy_attached) expect((await signIn(rig.main, username)).status).toBe(200);
    await holdsSites(rig, username, [...otherSites!, joinedSite!]);
  },
};

/** Checks a scenario's call table against what the request really calls, so the matrix cannot go stale. */
export async function probeCalls(rig: Rig, scenario: Scenario): Promise<string[]> {
  const subject = await scenario.setup(rig.main, freshUsername('probe'));
  rig.aws.resetCalls();
  const response = await scenario.request(rig.main, subject);
  expect(response.status, JSON.stringify(response.body)).toBe(scenario.success);
  const calls = rig.aws.calls.map((call) => call.api);
  await scenario.done(rig, subject);
  await cleanUp(rig, subject);
  return calls;
}
