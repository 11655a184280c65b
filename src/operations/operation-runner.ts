import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { toDomainError } from '../common/errors/error-body.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { Operation } from '../generated/prisma/client.js';
import type { OperationDefinition, StepContext, StepRecord } from './operation.types.js';
import { OperationsRepository } from './operations.repository.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the registry holds definitions of every params type */
type AnyDefinition = OperationDefinition<any, any>;

/**
 * Runs operations step by step, writing "about to" and "done, with these ids" for each step,
 * never holding a transaction open across an AWS call. Creations undo in reverse on failure;
 * deletions stop and can be re-run, every step being idempotent.
 */
@Injectable()
export class OperationRunner {
  private readonly definitions = new Map<string, AnyDefinition>();

  constructor(
    private readonly operations: OperationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(OperationRunner.name);
  }

  /** Feature modules register their operations so recovery can rebuild them from a record. */
  register(definition: AnyDefinition): void {
    this.definitions.set(definition.kind, definition);
  }

  /** `ephemeral` seeds values steps need but that must never be persisted (a temporary password, an ID token). */
  async run<P extends object, R>(definition: OperationDefinition<P, R>, subject: string, params: P, ephemeral: Record<string, unknown> = {}): Promise<R> {
    this.register(definition);
    const id = await this.operations.start(definition.kind, subject, params, this.config.operations.leaseMs);
    const context: StepContext<P> = { params, state: {}, ephemeral: { ...ephemeral } };
    const records: StepRecord[] = [];
    try {
      await this.forward(id, definition, context, records);
    } catch (error) {
      await this.fail(id, definition, context, records, error);
      throw error;
    }
    await this.operations.finish(id, 'COMPLETED');
    return definition.result(context);
  }

  /** Finishes (deletions) or undoes (creations) an operation whose process stopped. */
  async recover(operation: Operation): Promise<void> {
    const definition = this.definitions.get(operation.kind);
    if (!definition) {
      this.logger.warn({ operationId: operation.id, kind: operation.kind }, 'no definition for operation kind; leaving it');
      return;
    }
    const records = operation.steps as unknown as StepRecord[];
    const context: StepContext<object> = { params: operation.params as object, state: stateOf(records), ephemeral: {} };
    this.logger.info({ operationId: operation.id, kind: operation.kind }, 'recovering operation');
    try {
      if (definition.onFailure === 'finish' && operation.status === 'RUNNING') {
        await this.forward(operation.id, definition, context, records);
        await this.operations.finish(operation.id, 'COMPLETED');
      } else {
        await this.undo(operation.id, definition, context, records);
        await this.operations.finish(operation.id, 'UNDONE', { code: 'RECOVERED', message: 'The process stopped mid-way; undone' });
      }
    } catch (error) {
      // The lease runs out again and a later pass retries; a failure here is never final.
      this.logger.warn({ operationId: operation.id, code: toDomainError(error).code }, 'recovery attempt failed');
    }
  }

  /** Runs every step not yet done, in order; steps already done (in a record being recovered) are skipped. */
  private async forward(id: string, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[]) {
    const lease = this.config.operations.leaseMs;
    for (const step of definition.steps(context.params)) {
      if (records.some((record) => record.name === step.name && record.status === 'done')) continue;
      const record: StepRecord = { name: step.name, status: 'started', at: new Date().toISOString() };
      upsert(records, record);
      await this.operations.recordSteps(id, records, lease);
      const output = (await step.run(context)) ?? undefined;
      if (output) Object.assign(context.state, output);
      upsert(records, { ...record, status: 'done', output, at: new Date().toISOString() });
      await this.operations.recordSteps(id, records, lease);
    }
  }

  private async fail(id: string, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[], error: unknown) {
    const { code, message } = toDomainError(error);
    const current = records.at(-1);
    if (current?.status === 'started') current.error = { code, message };
    try {
      if (definition.onFailure === 'undo') {
        await this.undo(id, definition, context, records);
        await this.operations.finish(id, 'UNDONE', { code, message });
      } else {
        if (current?.status === 'started') current.status = 'failed';
        await this.operations.recordSteps(id, records, this.config.operations.leaseMs);
        await this.operations.finish(id, 'FAILED', { code, message });
      }
    } catch (undoError) {
      // Left UNDOING with its subject held: recovery completes the undo once AWS or the database answers.
      this.logger.error({ operationId: id, code: toDomainError(undoError).code }, 'undo did not complete; recovery will retry');
    }
  }

  private async undo(id: string, definition: AnyDefinition, context: StepContext<object>, records: StepRecord[]) {
    const lease = this.config.operations.leaseMs;
    await this.operations.recordSteps(id, records, lease, 'UNDOING');
    const steps = new Map(definition.steps(context.params).map((step) => [step.name, step]));
    for (const record of [...records].reverse()) {
      if (record.status !== 'done' && record.status !== 'started') continue;
      await steps.get(record.name)?.undo?.(context);
      record.status = 'undone';
      record.at = new Date().toISOString();
      await this.operations.recordSteps(id, records, lease, 'UNDOING');
    }
  }
}

function stateOf(records: StepRecord[]): Record<string, never> {
  return Object.assign({}, ...records.filter((record) => record.output).map((record) => record.output));
}

function upsert(records: StepRecord[], record: StepRecord): void {
  const index = records.findIndex((existing) => existing.name === record.name);
  if (index === -1) records.push(record);
  else records[index] = record;
}
