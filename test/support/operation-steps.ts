import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { retriedLater } from '../../src/common/errors/retry-later.js';
import type { AppLogger } from '../../src/common/logging/app-logger.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { OperationRunner } from '../../src/operations/operation-runner.js';
import type { OperationDefinition } from '../../src/operations/operation.types.js';
import { OperationsRepository } from '../../src/operations/operations.repository.js';
import { RecoveryService } from '../../src/operations/recovery.service.js';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import type { FakeAwsSnapshot } from '../fakes/fake-aws.js';
import { consistency, readOperations, readRows } from './invariants.js';
import { startTestApp, type TestApp } from './test-app.js';

/** Where an operation starts: its subject, params and ephemeral values, brought about through the app. */
export interface OperationStart<P extends object> {
  subject: string;
  params: P;
  ephemeral?: object;
}

export interface OperationCase<P extends object> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any step state and ephemeral type
  definition(t: TestApp): OperationDefinition<P, unknown, any, any>;
  /** The step names, in order: one case per step, and a check that the definition still has them. */
  steps: string[];
  /** `n` differs per case, so each case works on its own user. */
  setup(t: TestApp, n: number): Promise<OperationStart<P>>;
  /** What must hold once the operation took effect. */
  done(t: TestApp, start: OperationStart<P>): Promise<void>;
  /** Removes what the setup made that no row accounts for (drift's orphans), before consistency is checked. */
  cleanUp?(t: TestApp, start: OperationStart<P>): Promise<void>;
  /** An 'undo' step whose effect cannot be reversed once it acted (a deletion): failing after it, the operation took effect. */
  irreversible?: string[];
  /** Steps that run after the subject is gone for the API: a failure parks the operation (waiting) for recovery instead of failing it. */
  waitOnFailure?: string[];
}

const quiet = { setContext() {}, info() {}, warn() {}, error() {} } as unknown as AppLogger;

function normalized(snapshot: FakeAwsSnapshot): Record<string, string[]> {
  return Object.fromEntries(Object.entries(snapshot).map(([key, items]) => [key, (items as unknown[]).map((item) => JSON.stringify(item)).sort()]));
}

/**
 * Runs the operation through the runner (over the real operations table) with a failure injected
 * at each step, before the step acts and after it acted without answering, and checks what the
 * operation declares: 'undo' leaves AWS and the rows as they were and ends UNDONE; 'finish' and
 * 'keep' end FAILED with the earlier steps done, and running it again completes it (unless the
 * failing step was the last and had acted).
 */
export function describeFailureAtEachStep<P extends object>(title: string, operation: OperationCase<P>): void {
  describe(title, () => {
    let t: TestApp;
    let n = 0;

    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => t?.close());

    it('has the steps the cases cover, and completes when nothing fails', async () => {
      const start = await operation.setup(t, n++);
      const definition = operation.definition(t);
      expect(definition.steps(start.params).map((step) => step.name)).toEqual(operation.steps);
      await t.app.get(OperationRunner).run(definition, start.subject, start.params, start.ephemeral);
      await operation.done(t, start);
      await operation.cleanUp?.(t, start);
      expect(await consistency(t.aws, t.config.database.url!)).toEqual([]);
    });

    const points = operation.steps.flatMap((name, index) => (['before', 'after'] as const).map((when) => ({ name, index, when })));
    it.each(points)('fails at $name ($when it acts)', async ({ name, index, when }) => {
      const url = t.config.database.url!;
      const start = await operation.setup(t, n++);
      const before = { aws: normalized(t.aws.snapshot()), rows: await readRows(url) };
      const definition = operation.definition(t);
      const waits = operation.waitOnFailure?.includes(name) ?? false;
      const failing: typeof definition = {
        ...definition,
        steps: (params) =>
          definition.steps(params).map((step, at) =>
            at !== index
              ? step
              : {
                  ...step,
                  run(context) {
                    const failure = (async () => {
                      if (when === 'after') await step.run(context);
                      throw new DomainError('AWS_UNAVAILABLE', `failure injected at ${step.name}`);
                    })();
                    // A waiting step turns its AWS call's failure into a wait itself (retriedLater): so does the injected one.
                    return waits ? retriedLater(failure) : failure;
                  },
                },
          ),
      };
      // A runner of its own: the app's holds the real definition under the same kind.
      const runner = new OperationRunner(t.app.get(OperationsRepository), t.config, quiet, new Metrics());
      runner.register(failing);
      if (waits) await runner.run(failing, start.subject, start.params, start.ephemeral);
      else await expect(runner.run(failing, start.subject, start.params, start.ephemeral)).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });

      const [row] = (await readOperations(url)).filter((candidate) => candidate.subject === start.subject).slice(-1);
      const recorded = (await t.app.get(OperationsRepository).findById(row!.id))!.steps as Array<{ name: string; status: string }>;
      if (waits) {
        expect(row).toMatchObject({ status: 'RUNNING', active_subject: start.subject });
        expect(recorded.map((step) => step.status)).toEqual([...operation.steps.slice(0, index).map(() => 'done'), 'waiting']);
        // Due: recovery (with the app's own definition) runs the step again and completes the operation.
        await t.app.get(PrismaService).operation.update({ where: { id: row!.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
        await t.app.get(RecoveryService).recoverAll();
        expect((await t.app.get(OperationsRepository).findById(row!.id))!.status).toBe('COMPLETED');
        await operation.done(t, start);
      } else if (definition.onFailure === 'undo') {
        expect(row).toMatchObject({ status: 'UNDONE', active_subject: null, error: { code: 'AWS_UNAVAILABLE' } });
        expect(recorded.map((step) => step.status)).toEqual(operation.steps.slice(0, index + 1).map(() => 'undone'));
        if (when === 'after' && operation.irreversible?.includes(name)) await operation.done(t, start);
        else expect(normalized(t.aws.snapshot())).toEqual(before.aws);
        expect(await readRows(url)).toEqual(before.rows);
      } else {
        expect(row).toMatchObject({ status: 'FAILED', active_subject: null, error: { code: 'AWS_UNAVAILABLE' } });
        expect(recorded.map((step) => step.status)).toEqual([...operation.steps.slice(0, index).map(() => 'done'), 'failed']);
        // Its last step acted before the failure: nothing is left to do (a repeated request would answer 404).
        const tookEffect = await operation.done(t, start).then(
          () => true,
          () => false,
        );
        if (!tookEffect) {
          await t.app.get(OperationRunner).run(definition, start.subject, start.params, start.ephemeral);
          await operation.done(t, start);
        }
      }
      await operation.cleanUp?.(t, start);
      expect(await consistency(t.aws, url)).toEqual([]);
    });
  });
}
