import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { toDomainError } from '../common/errors/error-body.js';
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
      try {
        await this.forward(lease, definition, context, records);
      } catch (error) {
        // Taken over: the new owner finishes or undoes it; this run touches nothing more.
        if (!(error instanceof LeaseLostError)) await this.fail(lease, definition, context, records, error);
        throw error;
      }
      // The last step's "done" is written with the end of the operation.
      await this.operations.finish(lease.id, 'COMPLETED', undefined, lease.owner, records);
      this.metrics.operation(definition.kind, 'succeeded');
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
      if (definition.onFailure === 'finish' && operation.status === 'RUNNING') {
        await this.forward(lease, definition, context, records);
        await this.operations.finish(operation.id, 'COMPLETED', undefined, lease.owner, records);
      } else if (definition.onFailure === 'keep') {
        const stopped = records.at(-1);
        if (stopped?.status === 'started') stopped.status = 'failed';
        await this.operations.recordSteps(operation.id, lease.owner, records, this.config.operations.leaseMs);
        await this.operations.finish(operation.id, 'FAILED', { code: 'RECOVERED', message: 'The process stopped mid-way; what was done is kept' }, lease.owner);
      } else {
        await this.undo(lease, definition, context, records);
        await this.operations.finish(operation.id, 'UNDONE', { code: 'RECOVERED', message: 'The process stopped mid-way; undone' }, lease.owner);
      }
      this.metrics.operation(operation.kind, 'recovered');
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
    lease.timer = setInterval(() => {
      this.operations.renewLease(id, owner, leaseMs).then(
        (held) => {
          if (!held) this.release(lease);
        },
        // The database is unreachable: the next tick tries again; the lease may run out meanwhile.
        (error: unknown) => this.logger.warn({ operationId: id, code: toDomainError(error).code }, 'could not renew the operation lease'),
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));
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
   * skipped. One write per step: a step's "about to" is durable before it calls AWS, and carries
   * the previous step's "done, with these ids" with it, so nothing runs after a step before that
   * step's outcome is recorded. A crash between a step's AWS call and that write leaves the step
   * "started", which recovery treats as possibly done either way. The caller writes the last "done".
   */
  private async forward(lease: Lease, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[]) {
    const leaseMs = this.config.operations.leaseMs;
    for (const step of definition.steps(context.params)) {
      if (records.some((record) => record.name === step.name && record.status === 'done')) continue;
      const record: StepRecord = { name: step.name, status: 'started', at: new Date().toISOString() };
      upsert(records, record);
      await this.operations.recordSteps(lease.id, lease.owner, records, leaseMs);
      const output = (await step.run(context)) ?? undefined;
      if (output) Object.assign(context.state, output);
      upsert(records, { ...record, status: 'done', output, at: new Date().toISOString() });
    }
  }

  private async fail(lease: Lease, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[], error: unknown) {
    const { code, message } = toDomainError(error);
    const current = records.at(-1);
    if (current?.status === 'started') current.error = { code, message };
    try {
      // 'finish' and 'keep' both end FAILED with the done steps as they are; they differ in recovery.
      if (definition.onFailure === 'undo') {
        await this.undo(lease, definition, context, records);
        await this.operations.finish(lease.id, 'UNDONE', { code, message }, lease.owner);
        this.metrics.operation(definition.kind, 'undone');
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

  private async undo(lease: Lease, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[]) {
    const leaseMs = this.config.operations.leaseMs;
    await this.operations.recordSteps(lease.id, lease.owner, records, leaseMs, 'UNDOING');
    const steps = new Map(definition.steps(context.params).map((step) => [step.name, step]));
    for (const record of [...records].reverse()) {
      if (record.status !== 'done' && record.status !== 'started') continue;
      await steps.get(record.name)?.undo?.(context);
      record.status = 'undone';
      record.at = new Date().toISOString();
      await this.operations.recordSteps(lease.id, lease.owner, records, leaseMs, 'UNDOING');
    }
  }
}

/** An operation this process works on: its id, the owner token every write names, the renewal timer. */
interface Lease {
  id: string;
  owner: string;
  timer?: NodeJS.Timeout;
}

function stateOf(records: StepRecord[]): StepOutput {
  return Object.assign({}, ...records.filter((record) => record.output).map((record) => record.output));
}

function upsert(records: StepRecord[], record: StepRecord): void {
  const index = records.findIndex((existing) => existing.name === record.name);
  if (index === -1) records.push(record);
  else records[index] = record;
}
