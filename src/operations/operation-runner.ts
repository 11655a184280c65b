import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { toDomainError } from '../common/errors/error-body.js';
import { isRetryLater } from '../common/errors/retry-later.js';
import { AppLogger } from '../common/logging/app-logger.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { Operation } from '../generated/prisma/client.js';
import { Metrics } from '../metrics/metrics.js';
import type { OperationDefinition, StepContext, StepOutput, StepRecord } from './operation.types.js';
import { LeaseLostError, OperationsRepository } from './operations.repository.js';

// The registry holds definitions of every params, result, state and ephemeral type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDefinition = OperationDefinition<any, any, any, any>;

/**
 * Runs operations step by step, writing "about to" and "done, with these ids" for each step,
 * never holding a transaction open across an AWS call. Creations undo in reverse on failure;
 * deletions stop and can be re-run, every step being idempotent (see OnFailure).
 */
@Injectable()
export class OperationRunner implements OnModuleDestroy {
  private readonly definitions = new Map<string, AnyDefinition>();
  private readonly leases = new Set<Lease>();

  constructor(
    private readonly operations: OperationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
  ) {
    logger.setContext(OperationRunner.name);
  }

  /**
   * Each feature's operations provider registers its operations at boot, so recovery can rebuild
   * them from a record. A kind names one definition: registering it twice is a wiring bug.
   */
  register(...definitions: AnyDefinition[]): void {
    for (const definition of definitions) {
      if (this.definitions.has(definition.kind)) throw new Error(`operation kind ${definition.kind} is registered twice`);
      this.definitions.set(definition.kind, definition);
    }
  }

  /** The kinds recovery can finish or undo. */
  registeredKinds(): string[] {
    return [...this.definitions.keys()];
  }

  /** `ephemeral` seeds values steps need but that must never be persisted (a temporary password, an ID token). */
  async run<P extends object, R, S extends StepOutput, E extends object>(
    definition: OperationDefinition<P, R, S, E>,
    subject: string,
    params: P,
    ephemeral: Partial<E> = {},
  ): Promise<R> {
    if (this.definitions.get(definition.kind) !== definition) throw new Error(`operation kind ${definition.kind} is not registered`);
    const owner = randomUUID();
    const lease = this.hold(await this.operations.start(definition.kind, subject, params, this.config.operations.leaseMs, owner), owner);
    const context: StepContext<P, S, E> = { params, state: {}, ephemeral: { ...ephemeral } };
    const records: StepRecord[] = [];
    this.metrics.operation(definition.kind, 'started');
    try {
      let progress: Progress;
      try {
        progress = await this.forward(lease, definition, context, records);
      } catch (error) {
        // Taken over: the new owner finishes or undoes it; this run touches nothing more.
        if (!(error instanceof LeaseLostError)) await this.fail(lease, definition, context, records, error);
        throw error;
      }
      // A waiting step is one AWS will accept later: the caller has its answer, recovery finishes the rest.
      // Otherwise the last step's "done" is written with the end of the operation.
      if (progress === 'done') {
        await this.operations.finish(lease.id, 'COMPLETED', undefined, lease.owner, records);
        this.metrics.operation(definition.kind, 'succeeded');
      }
    } finally {
      this.release(lease);
    }
    return definition.result(context);
  }

  /** Finishes (deletions) or undoes (creations) an operation whose process stopped; `operation` was claimed by RecoveryService. */
  async recover(operation: Operation): Promise<void> {
    const definition = this.definitions.get(operation.kind);
    if (!definition) {
      // Boot refuses such rows; one met here was written by a newer version, or boot could not check.
      this.logger.error({ operationId: operation.id, kind: operation.kind }, 'no definition for operation kind; leaving it holding its subject');
      return;
    }
    if (!operation.leaseOwner) throw new Error(`operation ${operation.id} was not claimed`);
    const lease = this.hold(operation.id, operation.leaseOwner);
    const records = operation.steps as unknown as StepRecord[];
    const context: StepContext<object> = { params: operation.params as object, state: stateOf(records), ephemeral: {} };
    this.logger.info({ operationId: operation.id, kind: operation.kind }, 'recovering operation');
    try {
      // A step still waiting parks the operation again (see `wait`): recovery comes back when due.
      let progress: Progress = 'done';
      if (operation.status === 'RUNNING' && (definition.onFailure === 'finish' || pastUndo(definition, context.params, records))) {
        progress = await this.forward(lease, definition, context, records);
        if (progress === 'done') await this.operations.finish(operation.id, 'COMPLETED', undefined, lease.owner, records);
      } else if (definition.onFailure === 'keep') {
        const stopped = records.at(-1);
        if (stopped?.status === 'started') stopped.status = 'failed';
        await this.operations.recordSteps(operation.id, lease.owner, records, this.config.operations.leaseMs);
        await this.operations.finish(
          operation.id,
          'FAILED',
          { code: 'RECOVERED', message: 'The process stopped mid-way; what was done is kept' },
          lease.owner,
        );
      } else {
        // A running row's record may end before local steps that ran unrecorded; an undoing one was written whole as its undo began.
        if (operation.status === 'RUNNING') records.push(...impliedLocalSteps(definition, context.params, records));
        progress = await this.undo(lease, definition, context, records);
        if (progress === 'done')
          await this.operations.finish(operation.id, 'UNDONE', { code: 'RECOVERED', message: 'The process stopped mid-way; undone' }, lease.owner);
      }
      if (progress === 'done') this.metrics.operation(operation.kind, 'recovered');
    } catch (error) {
      // The lease runs out again and a later pass retries; a failure here is never final.
      this.logger.warn({ operationId: operation.id, code: toDomainError(error).code }, 'recovery attempt failed');
    } finally {
      this.release(lease);
    }
  }

  /**
   * Shutting down: stops renewing the leases this process holds. Requests still in flight have
   * until their lease runs out to finish; after that recovery (another replica, or this one after
   * a restart) takes their operations over, and the lease owner keeps this process from writing.
   */
  onModuleDestroy(): void {
    for (const lease of this.leases) clearInterval(lease.timer);
    this.leases.clear();
  }

  /**
   * Keeps the lease alive while this process works on the operation, so recovery elsewhere takes
   * over only when the process stopped (killed, paused, cut off), never while a slow step runs.
   */
  private hold(id: string, owner: string): Lease {
    const leaseMs = this.config.operations.leaseMs;
    const lease: Lease = { id, owner };
    lease.timer = setInterval(
      () => {
        this.operations.renewLease(id, owner, leaseMs).then(
          (held) => {
            if (!held) this.release(lease);
          },
          // The database is unreachable: the next tick tries again; the lease may run out meanwhile.
          (error: unknown) => this.logger.warn({ operationId: id, code: toDomainError(error).code }, 'could not renew the operation lease'),
        );
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    lease.timer.unref();
    this.leases.add(lease);
    return lease;
  }

  private release(lease: Lease): void {
    clearInterval(lease.timer);
    this.leases.delete(lease);
  }

  /**
   * Runs every step not yet done, in order; steps already done (in a record being recovered) are
   * skipped. One write per step that calls AWS: its "about to" is durable before the call, and
   * carries the outcomes of the steps before it ("done, with these ids"), so no AWS call is made
   * before what the earlier steps did is recorded. A local step (no AWS call) writes nothing of
   * its own: its "started" and "done" go with the next write. A crash between a step's AWS call
   * and the next write leaves the step "started", which recovery treats as possibly done either
   * way (and local steps with an undo after it as started too: see `impliedLocalSteps`). The
   * caller writes the last "done" with the operation's end. 'waiting' when a step threw
   * RetryLaterError: the operation is parked (see `wait`), with the steps done before it written along.
   */
  private async forward(lease: Lease, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[]): Promise<Progress> {
    const leaseMs = this.config.operations.leaseMs;
    for (const step of definition.steps(context.params)) {
      if (records.some((record) => record.name === step.name && record.status === 'done')) continue;
      const previous = records.find((record) => record.name === step.name);
      const record: StepRecord = {
        name: step.name,
        status: 'started',
        at: new Date().toISOString(),
        ...(previous?.attempts ? { attempts: previous.attempts } : {}),
      };
      upsert(records, record);
      // A forwardOnly step's "started" decides between finishing and undoing: written even when local.
      if (!step.local || step.forwardOnly) await this.operations.recordSteps(lease.id, lease.owner, records, leaseMs);
      let output: StepOutput | undefined;
      try {
        output = (await step.run(context)) ?? undefined;
      } catch (error) {
        if (!isRetryLater(error)) throw error;
        await this.wait(lease, records, record, error);
        return 'waiting';
      }
      if (output) Object.assign(context.state, output);
      upsert(records, { name: step.name, status: 'done', output, at: new Date().toISOString() });
    }
    return 'done';
  }

  /**
   * Parks the operation with `record` waiting: retried after WAIT_BACKOFF_MS (30 s, 1, 2, 4 min:
   * AWS's "up to five minutes"), then at every recovery pass, each refusal beyond the bound logged
   * as a warning. The operation keeps its subject, so nothing else changes that user or device meanwhile.
   */
  private async wait(lease: Lease, records: StepRecord[], record: StepRecord, error: unknown, status?: 'UNDOING'): Promise<void> {
    const { code, message } = toDomainError(error);
    const attempts = (record.attempts ?? 0) + 1;
    const delayMs = WAIT_BACKOFF_MS[attempts - 1] ?? this.config.operations.recoveryIntervalMs;
    const retryAt = new Date(Date.now() + delayMs);
    upsert(records, {
      ...record,
      status: 'waiting',
      error: { code, message },
      attempts,
      retryAt: retryAt.toISOString(),
      at: new Date().toISOString(),
    });
    const log = { operationId: lease.id, step: record.name, attempts, retryAt };
    if (attempts > WAIT_BACKOFF_MS.length)
      this.logger.warn(log, 'step still refused by AWS after the documented delay; retrying at every recovery pass');
    else this.logger.info(log, 'step refused by AWS for now; waiting');
    try {
      await this.operations.wait(lease.id, lease.owner, records, retryAt, status);
    } catch (parkError) {
      // Taken over meanwhile: the new owner runs the step when due; for this run it is parked all the same.
      if (!(parkError instanceof LeaseLostError)) throw parkError;
    }
  }

  private async fail(lease: Lease, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[], error: unknown) {
    const { code, message } = toDomainError(error);
    const current = records.at(-1);
    if (current?.status === 'started') current.error = { code, message };
    try {
      // 'finish' and 'keep' both end FAILED with the done steps as they are; they differ in recovery.
      // So does an 'undo' operation past its point of no return (a forwardOnly step started).
      if (definition.onFailure === 'undo' && !pastUndo(definition, context.params, records)) {
        if ((await this.undo(lease, definition, context, records)) === 'done') {
          await this.operations.finish(lease.id, 'UNDONE', { code, message }, lease.owner);
          this.metrics.operation(definition.kind, 'undone');
        }
      } else {
        if (current?.status === 'started') current.status = 'failed';
        await this.operations.recordSteps(lease.id, lease.owner, records, this.config.operations.leaseMs);
        await this.operations.finish(lease.id, 'FAILED', { code, message }, lease.owner);
        this.metrics.operation(definition.kind, 'failed');
      }
    } catch (undoError) {
      // Left UNDOING (or RUNNING) with its subject held: recovery completes it once AWS or the database answers.
      this.logger.error({ operationId: lease.id, code: toDomainError(undoError).code }, 'undo did not complete; recovery will retry');
    }
  }

  /** Undoes done, started and waiting steps newest first; 'waiting' when an undo threw RetryLaterError (parked UNDOING). */
  private async undo(lease: Lease, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[]): Promise<Progress> {
    const leaseMs = this.config.operations.leaseMs;
    await this.operations.recordSteps(lease.id, lease.owner, records, leaseMs, 'UNDOING');
    const steps = new Map(definition.steps(context.params).map((step) => [step.name, step]));
    for (const record of [...records].reverse()) {
      if (record.status !== 'done' && record.status !== 'started' && record.status !== 'waiting') continue;
      try {
        await steps.get(record.name)?.undo?.(context);
      } catch (error) {
        if (!isRetryLater(error)) throw error;
        await this.wait(lease, records, record, error, 'UNDOING');
        return 'waiting';
      }
      const undone = records.find((existing) => existing.name === record.name)!;
      undone.status = 'undone';
      undone.at = new Date().toISOString();
      delete undone.retryAt;
      await this.operations.recordSteps(lease.id, lease.owner, records, leaseMs, 'UNDOING');
    }
    return 'done';
  }
}

/** Whether the steps ran to the end, or one waits for AWS to accept it later. */
type Progress = 'done' | 'waiting';

/** When a waiting step is tried again, by attempt; beyond these, at every recovery pass. */
const WAIT_BACKOFF_MS = [30_000, 60_000, 120_000, 240_000];

/** An operation this process works on: its id, the owner token every write names, the renewal timer. */
interface Lease {
  id: string;
  owner: string;
  timer?: NodeJS.Timeout;
}

/** Whether a forwardOnly step has started: from there the operation is finished, never undone. */
function pastUndo(definition: AnyDefinition, params: object, records: StepRecord[]): boolean {
  const forwardOnly = new Set(
    definition
      .steps(params)
      .filter((step) => step.forwardOnly)
      .map((step) => step.name),
  );
  return records.some((record) => forwardOnly.has(record.name));
}

function stateOf(records: StepRecord[]): StepOutput {
  return Object.assign({}, ...records.filter((record) => record.output).map((record) => record.output));
}

/**
 * Local steps write no record of their own (StepDefinition.local), so a process that stopped
 * after one acted may have left a record ending at the step before it. Every local step with an
 * undo right after the last recorded step may therefore have run: it counts as started.
 */
function impliedLocalSteps(definition: AnyDefinition, params: object, records: StepRecord[]): StepRecord[] {
  const steps = definition.steps(params);
  const recordedNames = new Set(records.map((record) => record.name));
  const last = steps.findLastIndex((step) => recordedNames.has(step.name));
  const implied: StepRecord[] = [];
  for (const step of steps.slice(last + 1)) {
    if (!step.local) break;
    if (step.undo) implied.push({ name: step.name, status: 'started', at: new Date().toISOString() });
  }
  return implied;
}

function upsert(records: StepRecord[], record: StepRecord): void {
  const index = records.findIndex((existing) => existing.name === record.name);
  if (index === -1) records.push(record);
  else records[index] = record;
}
