import 'reflect-metadata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OperationDefinition } from '../../src/operations/operation.types.js';
import { OperationRunner } from '../../src/operations/operation-runner.js';
import { LeaseLostError, OperationsRepository } from '../../src/operations/operations.repository.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Leases: a process working on an operation renews its lease however long a step takes, so
 * recovery takes over only operations whose process stopped; and once recovery has taken one
 * over, the old run can no longer write (every write names the lease owner).
 */
const LEASE_MS = 500;
const log: string[] = [];
let gate: Promise<void> = Promise.resolve();

function slow(kind: string, onFailure: 'undo' | 'finish'): OperationDefinition<object, string> {
  return {
    kind,
    onFailure,
    steps: () => [
      { name: 'first', run: async () => void log.push('run first'), undo: async () => void log.push('undo first') },
      {
        name: 'slow',
        async run() {
          log.push('run slow');
          await gate;
          return { slowId: 'id-slow' };
        },
        undo: async () => void log.push('undo slow'),
      },
    ],
    result: () => 'done',
  };
}

const creation = slow('lease-create', 'undo');
const deletion = slow('lease-delete', 'finish');

describe('operation leases', () => {
  let t: TestApp;
  let runner: OperationRunner;
  let recovery: RecoveryService;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await startTestApp({ env: { OPERATION_LEASE_MS: String(LEASE_MS) } });
    runner = t.app.get(OperationRunner);
    recovery = t.app.get(RecoveryService);
    prisma = t.app.get(PrismaService);
    runner.register(creation);
    runner.register(deletion);
  });
  afterAll(async () => t?.close());
  beforeEach(() => {
    log.length = 0;
  });

  it('keeps the lease of a live run whose step outlasts it several times: recovery leaves it alone', async () => {
    let release!: () => void;
    gate = new Promise<void>((resolve) => (release = resolve));
    const run = runner.run(creation, 'lease:1', {});
    await expect.poll(() => log).toContain('run slow');
    for (let pass = 0; pass < 4; pass++) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
      await expect(recovery.recoverAll()).resolves.toBe(0);
    }
    release();
    await expect(run).resolves.toBe('done');
    expect(log).toEqual(['run first', 'run slow']);
    expect(await prisma.operation.findFirstOrThrow({ where: { subject: 'lease:1' } })).toMatchObject({ status: 'COMPLETED', activeSubject: null });
  });

  it.each([
    ['a creation', creation, 'UNDONE', ['undo slow', 'undo first']],
    ['a deletion', deletion, 'COMPLETED', ['run slow']],
  ] as const)('fences out a run whose process stopped renewing once recovery took %s over', async (_, definition, outcome, recovered) => {
    let release!: (error?: Error) => void;
    gate = new Promise<void>((resolve, reject) => (release = (error) => (error ? reject(error) : resolve())));
    const subject = `lease:${definition.kind}`;
    const run = runner.run(definition, subject, {}).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await expect.poll(() => log).toContain('run slow');
    // The process goes quiet: no more renewals, as after a kill or a long pause.
    runner.onModuleDestroy();
    gate = Promise.resolve();
    log.length = 0;
    await expect.poll(() => recovery.recoverAll(), { timeout: 5000, interval: 100 }).toBe(1);
    expect(log).toEqual(recovered);
    const settled = await prisma.operation.findFirstOrThrow({ where: { subject } });
    expect(settled).toMatchObject({ status: outcome, activeSubject: null });

    // The old run wakes up, its step having failed or succeeded: it may write nothing, undo nothing.
    log.length = 0;
    release(definition === creation ? new Error('woke up failing') : undefined);
    const woke = await run;
    expect(log).toEqual([]);
    if (definition === deletion) expect((woke as { error: unknown }).error).toBeInstanceOf(LeaseLostError);
    expect(await prisma.operation.findFirstOrThrow({ where: { subject } })).toEqual(settled);
  });

  it('refuses writes from anyone but the lease owner', async () => {
    const operations = t.app.get(OperationsRepository);
    const id = await operations.start('lease-create', 'lease:3', {}, LEASE_MS, '00000000-0000-4000-8000-00000000000a');
    await expect(operations.recordSteps(id, '00000000-0000-4000-8000-00000000000b', [], LEASE_MS)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(operations.renewLease(id, '00000000-0000-4000-8000-00000000000b', LEASE_MS)).resolves.toBe(false);
    await expect(operations.finish(id, 'COMPLETED', undefined, '00000000-0000-4000-8000-00000000000b')).rejects.toMatchObject({
      code: 'OPERATION_IN_PROGRESS',
    });
    await expect(operations.renewLease(id, '00000000-0000-4000-8000-00000000000a', LEASE_MS)).resolves.toBe(true);
    await operations.finish(id, 'COMPLETED', undefined, '00000000-0000-4000-8000-00000000000a');
    await expect(operations.renewLease(id, '00000000-0000-4000-8000-00000000000a', LEASE_MS)).resolves.toBe(false);
  });
});
