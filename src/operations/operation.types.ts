/**
 * A multi-step operation across AWS and the database, recorded step by step so that a crash,
 * a failure or a kill leaves a record that recovery can finish or undo.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type StepOutput = Record<string, JsonValue>;

/**
 * `S` is what the steps record (merged, persisted: ids and ARNs, never secrets); `E` what this
 * process alone holds (a temporary password, an ID token, a private key to return once).
 */
export interface StepContext<P, S extends StepOutput = StepOutput, E extends object = Record<string, unknown>> {
  params: P;
  /** Outputs of the steps done so far, merged; persisted, so never put secrets here. */
  state: Partial<S>;
  /** Values for this process only; lost on a crash by design. */
  ephemeral: Partial<E>;
}

export interface StepDefinition<P, S extends StepOutput = StepOutput, E extends object = Record<string, unknown>> {
  name: string;
  /**
   * The step calls no AWS API (a check, a note of the time, the database rows): its "started" is
   * not written on its own but travels with the next write (the next step's "started", or the
   * operation's end). A crash before that write leaves no record of it; recovery then counts a
   * local step with an undo that follows the last recorded step as started and undoes it, so
   * its undo must treat "never happened" as done. A step that is also forwardOnly writes its
   * "started" all the same: that record is what tells recovery to finish rather than undo.
   */
  local?: boolean;
  /** Returns what AWS returned that later steps or an undo need (ids, ARNs). */
  run(context: StepContext<P, S, E>): Promise<Partial<S> | void>;
  /**
   * Reverses the step. Called for done steps and for steps that started but may not have finished,
   * so it must treat "already gone" as done.
   */
  undo?(context: StepContext<P, S, E>): Promise<void>;
  /**
   * The point of no return of an 'undo' operation (a deletion after its detaches): once this step
   * has started, the operation only goes forward. Recovery finishes it instead of undoing it, and a
   * failure ends it FAILED with nothing undone. Its AWS calls should turn refusals into waits
   * (retriedLater), so recovery runs it again when due.
   */
  forwardOnly?: boolean;
}

/**
 * What happens when a step fails, or recovery finds the operation's process gone:
 * - 'undo': the done steps are reversed, newest first, and the operation ends UNDONE (creations).
 * - 'finish': it ends FAILED and a re-run (or recovery) goes forward (deletions: half-deleted is worse than deleted).
 * - 'keep': it ends FAILED with what was done kept, nothing undone and nothing re-run by recovery
 *   (work whose every step is already the wanted state, completed by the next request).
 */
export type OnFailure = 'undo' | 'finish' | 'keep';

export interface OperationDefinition<P, R, S extends StepOutput = StepOutput, E extends object = Record<string, unknown>> {
  kind: string;
  onFailure: OnFailure;
  steps(params: P): Array<StepDefinition<P, S, E>>;
  result(context: StepContext<P, S, E>): R;
}

/** 'waiting': AWS refused the step (or its undo) for now (RetryLaterError); recovery runs it again at `retryAt`. */
export type StepStatus = 'started' | 'done' | 'undone' | 'failed' | 'waiting';

export interface StepRecord {
  name: string;
  status: StepStatus;
  output?: StepOutput;
  error?: { code: string; message: string };
  at: string;
  /** Waiting steps: how many times AWS refused it so far, and when it is tried again. */
  attempts?: number;
  retryAt?: string;
}

/** A value an earlier step recorded (or this process holds); its absence is a bug in the step order, not a user error. */
export function recorded<T extends object, K extends keyof T>(values: Partial<T>, key: K): NonNullable<T[K]> {
  const value = values[key];
  if (value === undefined || value === null) throw new Error(`no ${String(key)} recorded by an earlier step`);
  return value as NonNullable<T[K]>;
}
