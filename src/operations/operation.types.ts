/**
 * A multi-step operation across AWS and the database, recorded step by step so that a crash,
 * a failure or a kill leaves a record that recovery can finish or undo.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type StepOutput = Record<string, JsonValue>;

export interface StepContext<P> {
  params: P;
  /** Outputs of the steps done so far, merged; persisted, so never put secrets here. */
  state: StepOutput;
  /** Values for this process only (a private key to return once); lost on a crash by design. */
  ephemeral: Record<string, unknown>;
}

export interface StepDefinition<P> {
  name: string;
  /** Returns what AWS returned that later steps or an undo need (ids, ARNs). */
  run(context: StepContext<P>): Promise<StepOutput | void>;
  /**
   * Reverses the step. Called for done steps and for steps that started but may not have finished,
   * so it must treat "already gone" as done.
   */
  undo?(context: StepContext<P>): Promise<void>;
}

export interface OperationDefinition<P, R> {
  kind: string;
  /**
   * 'undo': a failure reverses the done steps (creations).
   * 'finish': a failure leaves the operation to be retried forward (deletions: half-deleted is worse than deleted).
   */
  onFailure: 'undo' | 'finish';
  steps(params: P): Array<StepDefinition<P>>;
  result(context: StepContext<P>): R;
}

export type StepStatus = 'started' | 'done' | 'undone' | 'failed';

export interface StepRecord {
  name: string;
  status: StepStatus;
  output?: StepOutput;
  error?: { code: string; message: string };
  at: string;
}
