import 'reflect-metadata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { RetryLaterError } from '../../src/common/errors/retry-later.js';
import { OPERATION_KINDS } from '../../src/operations/kinds.js';
import type { OperationDefinition } from '../../src/operations/operation.types.js';
import { OperationRunner } from '../../src/operations/operation-runner.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app.js';

/** A toy resource store standing in for AWS, so the runner's bookkeeping is what is under test. */
const store = new Set<string>();
const log: string[] = [];
let failAt: string | undefined;

const step = (name: string) => ({
  name,
  async run() {
    log.push(`run ${name}`);
    if (failAt === name) throw new DomainError('AWS_UNAVAILABLE', `${name} failed`);
    store.add(name);
    return { [`${name}Id`]: `id-${name}` };
  },
  async undo() {
    log.push(`undo ${name}`);
    store.delete(name);
  },
});

const create: OperationDefinition<{ who: string }, string> = {
  kind: 'test-create',
  onFailure: 'undo',
  steps: () => [step('a'), step('b'), step('c')],
  result: (context) => `${context.params.who}:${Object.keys(context.state).join(',')}`,
};

const remove: OperationDefinition<{ who: string }, void> = {
  kind: 'test-delete',
  onFailure: 'finish',
  steps: () => [step('x'), step('y')],
  result: () => undefined,
};

const keep: OperationDefinition<{ who: string }, void> = {
  kind: 'test-keep',
  onFailure: 'keep',
  steps: () => [step('k1'), step('k2')],
  result: () => undefined,
};

describe('OperationRunner', () => {
  let t: TestApp;
  let runner: OperationRunner;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await startTestApp({ env: { OPERATION_LEASE_MS: '500' } });
    runner = t.app.get(OperationRunner);
    prisma = t.app.get(PrismaService);
    runner.register(create, remove, keep);
  });
  afterAll(async () => t?.close());
  beforeEach(() => {
    store.clear();
    log.length = 0;
    failAt = undefined;
  });

  it('runs every step, records what each returned, and frees the subject', async () => {
    await expect(runner.run(create, 'thing:1', { who: 'w' })).resolves.toBe('w:aId,bId,cId');
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:1' } });
    expect(operation).toMatchObject({ status: 'COMPLETED', activeSubject: null, error: null });
    expect(operation.steps).toMatchObject([
      { name: 'a', status: 'done', output: { aId: 'id-a' } },
      { name: 'b', status: 'done', output: { bId: 'id-b' } },
      { name: 'c', status: 'done', output: { cId: 'id-c' } },
    ]);
  });

  it('undoes the steps done so far, in reverse, when a step fails', async () => {
    failAt = 'c';
    await expect(runner.run(create, 'thing:2', { who: 'w' })).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a']);
    expect(store.size).toBe(0);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:2' } });
    expect(operation).toMatchObject({ status: 'UNDONE', activeSubject: null, error: { code: 'AWS_UNAVAILABLE' } });
  });

  it('leaves a failed deletion FAILED and lets a re-run finish it', async () => {
    failAt = 'y';
    await expect(runner.run(remove, 'thing:3', { who: 'w' })).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    expect(log).toEqual(['run x', 'run y']);
    failAt = undefined;
    await runner.run(remove, 'thing:3', { who: 'w' });
    const statuses = await prisma.operation.findMany({ where: { subject: 'thing:3' }, orderBy: { createdAt: 'asc' } });
    expect(statuses.map((operation) => operation.status)).toEqual(['FAILED', 'COMPLETED']);
  });

  it('lets only one operation at a time touch a subject', async () => {
    let release!: () => void;
    const blocking: OperationDefinition<object, void> = {
      kind: 'test-block',
      onFailure: 'undo',
      steps: () => [{ name: 'wait', run: () => new Promise<void>((resolve) => (release = resolve)) }],
      result: () => undefined,
    };
    runner.register(blocking);
    const first = runner.run(blocking, 'thing:4', {});
    await expect.poll(() => typeof release).toBe('function');
    await expect(runner.run(create, 'thing:4', { who: 'w' })).rejects.toMatchObject({ code: 'OPERATION_IN_PROGRESS' });
    release();
    await first;
    await expect(runner.run(create, 'thing:4', { who: 'w' })).resolves.toBeDefined();
  });

  it('recovers a creation whose process died: undoes done and started steps once the lease ran out', async () => {
    await prisma.operation.create({
      data: {
        kind: 'test-create',
        subject: 'thing:5',
        activeSubject: 'thing:5',
        params: { who: 'w' },
        steps: [
          { name: 'a', status: 'done', output: { aId: 'id-a' }, at: new Date().toISOString() },
          { name: 'b', status: 'started', at: new Date().toISOString() },
        ],
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    store.add('a').add('b');
    await t.app.get(RecoveryService).recoverAll();
    expect(log).toEqual(['undo b', 'undo a']);
    expect(store.size).toBe(0);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:5' } });
    expect(operation).toMatchObject({ status: 'UNDONE', activeSubject: null });
  });

  it('recovers a deletion whose process died by finishing the steps not done', async () => {
    await prisma.operation.create({
      data: {
        kind: 'test-delete',
        subject: 'thing:6',
        activeSubject: 'thing:6',
        params: { who: 'w' },
        steps: [
          { name: 'x', status: 'done', at: new Date().toISOString() },
          { name: 'y', status: 'started', at: new Date().toISOString() },
        ],
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    await t.app.get(RecoveryService).recoverAll();
    expect(log).toEqual(['run y']);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:6' } });
    expect(operation).toMatchObject({ status: 'COMPLETED', activeSubject: null });
  });

  it('writes nothing of its own for a local step: its record goes with the next step\'s "started"', async () => {
    const seen: Record<string, unknown> = {};
    const stepsNow = async () => (await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:local' } })).steps;
    const withLocal: OperationDefinition<{ who: string }, void> = {
      kind: 'test-local',
      onFailure: 'undo',
      steps: () => [
        { name: 'note', local: true, run: async () => ((seen.note = await stepsNow()), { notedAt: 'now' }) },
        { ...step('call'), run: async () => void (seen.call = await stepsNow()) },
      ],
      result: () => undefined,
    };
    runner.register(withLocal);
    await runner.run(withLocal, 'thing:local', { who: 'w' });
    expect(seen.note).toEqual([]);
    expect(seen.call).toMatchObject([
      { name: 'note', status: 'done', output: { notedAt: 'now' } },
      { name: 'call', status: 'started' },
    ]);
    expect(await stepsNow()).toMatchObject([
      { name: 'note', status: 'done' },
      { name: 'call', status: 'done' },
    ]);
  });

  it('writes the "started" of a local step that is its operation\'s point of no return', async () => {
    let seen: unknown;
    const pointOfNoReturn: OperationDefinition<{ who: string }, void> = {
      kind: 'test-local-forward-only',
      onFailure: 'undo',
      steps: () => [
        {
          name: 'commit',
          local: true,
          forwardOnly: true,
          run: async () => void (seen = (await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:local-forward-only' } })).steps),
        },
      ],
      result: () => undefined,
    };
    runner.register(pointOfNoReturn);
    await runner.run(pointOfNoReturn, 'thing:local-forward-only', { who: 'w' });
    expect(seen).toMatchObject([{ name: 'commit', status: 'started' }]);
  });

  it('recovers a creation that stopped after a local step acted unrecorded: undoes it with the steps before it', async () => {
    const creation: OperationDefinition<{ who: string }, void> = {
      kind: 'test-local-undo',
      onFailure: 'undo',
      steps: () => [step('la'), step('lb'), { ...step('lc'), local: true }, { name: 'ld', local: true, run: async () => undefined }],
      result: () => undefined,
    };
    runner.register(creation);
    await prisma.operation.create({
      data: {
        kind: 'test-local-undo',
        subject: 'thing:local-undo',
        activeSubject: 'thing:local-undo',
        params: { who: 'w' },
        steps: [
          { name: 'la', status: 'done', at: new Date().toISOString() },
          { name: 'lb', status: 'started', at: new Date().toISOString() },
        ],
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    store.add('la').add('lb').add('lc');
    await t.app.get(RecoveryService).recoverAll();
    expect(log).toEqual(['undo lc', 'undo lb', 'undo la']);
    expect(store.size).toBe(0);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:local-undo' } });
    expect(operation).toMatchObject({ status: 'UNDONE', activeSubject: null });
    expect((operation.steps as Array<{ name: string; status: string }>).map((record) => `${record.name} ${record.status}`)).toEqual([
      'la undone',
      'lb undone',
      'lc undone',
    ]);
  });

  it('parks an operation on a step AWS refuses for now, answers the caller, and lets recovery finish it when due', async () => {
    let refusals = 2;
    const waiting: OperationDefinition<{ who: string }, string> = {
      kind: 'test-wait',
      onFailure: 'finish',
      steps: () => [
        step('w1'),
        {
          name: 'w2',
          async run() {
            log.push('run w2');
            if (refusals-- > 0) throw new RetryLaterError('not yet');
            store.add('w2');
          },
        },
      ],
      result: () => 'answered',
    };
    runner.register(waiting);
    await expect(runner.run(waiting, 'thing:wait', { who: 'w' })).resolves.toBe('answered');
    const parked = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:wait' } });
    expect(parked).toMatchObject({ status: 'RUNNING', activeSubject: 'thing:wait', leaseOwner: null });
    const [, w2] = parked.steps as Array<{ status: string; attempts?: number; retryAt?: string; error?: { message: string } }>;
    expect(w2).toMatchObject({ status: 'waiting', attempts: 1, error: { code: 'CONFLICT', message: 'not yet' } });
    expect(new Date(w2!.retryAt!).getTime()).toBe(parked.leaseExpiresAt.getTime());
    // Not due yet: recovery leaves it; another operation on the subject is refused meanwhile.
    await expect(t.app.get(RecoveryService).recoverAll()).resolves.toBe(0);
    await expect(runner.run(remove, 'thing:wait', { who: 'w' })).rejects.toMatchObject({ code: 'OPERATION_IN_PROGRESS' });
    const due = async () => prisma.operation.update({ where: { id: parked.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    await due();
    await t.app.get(RecoveryService).recoverAll();
    const again = await prisma.operation.findFirstOrThrow({ where: { id: parked.id } });
    expect(again).toMatchObject({ status: 'RUNNING' });
    const [, retried] = again.steps as Array<{ status: string; attempts?: number; retryAt?: string }>;
    expect(retried).toMatchObject({ status: 'waiting', attempts: 2 });
    // The second wait is longer than the first (backoff).
    expect(new Date(retried!.retryAt!).getTime() - again.updatedAt.getTime()).toBeGreaterThan(
      new Date(w2!.retryAt!).getTime() - parked.updatedAt.getTime(),
    );
    await due();
    await t.app.get(RecoveryService).recoverAll();
    expect(await prisma.operation.findFirstOrThrow({ where: { id: parked.id } })).toMatchObject({ status: 'COMPLETED', activeSubject: null });
    expect(log).toEqual(['run w1', 'run w2', 'run w2', 'run w2']);
    expect(store.has('w2')).toBe(true);
  });

  it('parks an undo AWS refuses for now as UNDOING, and recovery completes the undo', async () => {
    let refusals = 1;
    const creation: OperationDefinition<{ who: string }, string> = {
      kind: 'test-undo-wait',
      onFailure: 'undo',
      steps: () => [
        {
          ...step('u1'),
          async undo() {
            log.push('undo u1');
            if (refusals-- > 0) throw new RetryLaterError('not yet');
            store.delete('u1');
          },
        },
        step('u2'),
      ],
      result: () => 'created',
    };
    runner.register(creation);
    failAt = 'u2';
    await expect(runner.run(creation, 'thing:undo-wait', { who: 'w' })).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    const parked = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:undo-wait' } });
    expect(parked).toMatchObject({ status: 'UNDOING', activeSubject: 'thing:undo-wait' });
    expect((parked.steps as Array<{ name: string; status: string }>).map((record) => `${record.name} ${record.status}`)).toEqual([
      'u1 waiting',
      'u2 undone',
    ]);
    await prisma.operation.update({ where: { id: parked.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    await t.app.get(RecoveryService).recoverAll();
    expect(await prisma.operation.findFirstOrThrow({ where: { id: parked.id } })).toMatchObject({ status: 'UNDONE', activeSubject: null });
    expect(store.has('u1')).toBe(false);
  });

  it('takes a creation past its forwardOnly step forward: a failure there undoes nothing, recovery finishes it', async () => {
    const past: OperationDefinition<{ who: string }, string> = {
      kind: 'test-forward-only',
      onFailure: 'undo',
      steps: () => [step('f1'), { ...step('f2'), forwardOnly: true }],
      result: () => 'done',
    };
    runner.register(past);
    failAt = 'f2';
    await expect(runner.run(past, 'thing:forward', { who: 'w' })).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    expect(await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:forward' } })).toMatchObject({ status: 'FAILED', activeSubject: null });
    expect(log).toEqual(['run f1', 'run f2']);
    expect(store.has('f1')).toBe(true);

    // Killed while the forwardOnly step ran: recovery runs it again instead of undoing the rest.
    failAt = undefined;
    log.length = 0;
    await prisma.operation.create({
      data: {
        kind: 'test-forward-only',
        subject: 'thing:forward-2',
        activeSubject: 'thing:forward-2',
        params: { who: 'w' },
        steps: [
          { name: 'f1', status: 'done', at: new Date().toISOString() },
          { name: 'f2', status: 'started', at: new Date().toISOString() },
        ],
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    await t.app.get(RecoveryService).recoverAll();
    expect(log).toEqual(['run f2']);
    expect(await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:forward-2' } })).toMatchObject({ status: 'COMPLETED' });

    // Killed before it: undone as any creation.
    log.length = 0;
    await prisma.operation.create({
      data: {
        kind: 'test-forward-only',
        subject: 'thing:forward-3',
        activeSubject: 'thing:forward-3',
        params: { who: 'w' },
        steps: [{ name: 'f1', status: 'started', at: new Date().toISOString() }],
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    await t.app.get(RecoveryService).recoverAll();
    expect(log).toEqual(['undo f1']);
    expect(await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:forward-3' } })).toMatchObject({ status: 'UNDONE' });
  });

  it('leaves operations alone while their lease is live (another replica is working on them)', async () => {
    await prisma.operation.create({
      data: {
        kind: 'test-create',
        subject: 'thing:7',
        activeSubject: 'thing:7',
        params: {},
        steps: [],
        leaseExpiresAt: new Date(Date.now() + 60_000),
      },
    });
    await expect(t.app.get(RecoveryService).recoverAll()).resolves.toBe(0);
    expect(await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:7' } })).toMatchObject({ status: 'RUNNING' });
  });

  it('shows operations to admins, filtered by status and paginated', async () => {
    await runner.run(create, 'thing:8', { who: 'w' });
    const page = await t.http.get('/v1/operations?status=COMPLETED&limit=1').set('x-api-key', ADMIN_KEY);
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0]).toMatchObject({ status: 'COMPLETED', kind: expect.stringMatching(/^test-/) });
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await t.http.get(`/v1/operations?status=COMPLETED&limit=1&cursor=${page.body.nextCursor}`).set('x-api-key', ADMIN_KEY);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);

    const one = await t.http.get(`/v1/operations/${page.body.items[0].id}`).set('x-api-key', ADMIN_KEY);
    expect(one.status).toBe(200);
    expect(one.body.steps.length).toBeGreaterThan(0);
    expect((await t.http.get('/v1/operations/00000000-0000-4000-8000-000000000000').set('x-api-key', ADMIN_KEY)).status).toBe(404);
    expect((await t.http.get('/v1/operations/not-a-uuid').set('x-api-key', ADMIN_KEY)).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.get('/v1/operations?status=BOGUS').set('x-api-key', ADMIN_KEY)).body.code).toBe('VALIDATION_FAILED');
  });

  it('knows every persisted kind at boot, each from one definition', () => {
    const features = runner.registeredKinds().filter((kind) => !kind.startsWith('test-'));
    expect([...features].sort()).toEqual([...OPERATION_KINDS].sort());
    expect(() => runner.register({ ...create })).toThrow(/test-create is registered twice/);
    expect(() => runner.register({ ...create, kind: 'create-user' })).toThrow(/create-user is registered twice/);
  });

  it('runs only registered definitions', async () => {
    const stray: OperationDefinition<object, void> = { kind: 'test-stray', onFailure: 'undo', steps: () => [step('s')], result: () => undefined };
    await expect(runner.run(stray, 'thing:9', {})).rejects.toThrow(/test-stray is not registered/);
    expect(log).toEqual([]);
    expect(await prisma.operation.count({ where: { subject: 'thing:9' } })).toBe(0);
  });

  it('keeps what was done when an operation that keeps its progress fails: FAILED, nothing undone', async () => {
    failAt = 'k2';
    await expect(runner.run(keep, 'thing:10', { who: 'w' })).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    expect(log).toEqual(['run k1', 'run k2']);
    expect([...store]).toEqual(['k1']);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:10' } });
    expect(operation).toMatchObject({ status: 'FAILED', activeSubject: null, error: { code: 'AWS_UNAVAILABLE' } });
    expect(operation.steps).toMatchObject([
      { name: 'k1', status: 'done' },
      { name: 'k2', status: 'failed', error: { code: 'AWS_UNAVAILABLE' } },
    ]);
  });

  it('recovers an operation that keeps its progress by ending it FAILED, neither re-running nor undoing a step', async () => {
    await prisma.operation.create({
      data: {
        kind: 'test-keep',
        subject: 'thing:11',
        activeSubject: 'thing:11',
        params: { who: 'w' },
        steps: [
          { name: 'k1', status: 'done', output: { k1Id: 'id-k1' }, at: new Date().toISOString() },
          { name: 'k2', status: 'started', at: new Date().toISOString() },
        ],
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    await t.app.get(RecoveryService).recoverAll();
    expect(log).toEqual([]);
    const operation = await prisma.operation.findFirstOrThrow({ where: { subject: 'thing:11' } });
    expect(operation).toMatchObject({ status: 'FAILED', activeSubject: null, error: { code: 'RECOVERED' } });
    expect(operation.steps).toMatchObject([
      { name: 'k1', status: 'done' },
      { name: 'k2', status: 'failed' },
    ]);
  });

  it('refuses to boot while an operation of a kind nothing registers is running or undoing', async () => {
    const recovery = t.app.get(RecoveryService);
    const row = await prisma.operation.create({
      data: {
        kind: 'renamed-kind',
        subject: 'user:renamed',
        activeSubject: 'user:renamed',
        params: {},
        steps: [],
        status: 'UNDOING',
        leaseExpiresAt: new Date(),
      },
    });
    try {
      await expect(recovery.onApplicationBootstrap()).rejects.toThrow(/unknown kind \(renamed-kind\) are RUNNING or UNDOING/);
      await prisma.operation.update({ where: { id: row.id }, data: { status: 'FAILED', activeSubject: null } });
      await expect(recovery.onApplicationBootstrap()).resolves.toBeUndefined();
    } finally {
      recovery.onApplicationShutdown();
    }
  });
});
