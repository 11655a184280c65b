import type { StepContext, StepDefinition } from '../../operations/operation.types.js';

export type RepairOutcome = { result: 'done' } | { result: 'skipped'; note: string };

/** What the first step of every repair records: whether the finding still holds, and why not. */
export type RepairState = {
  confirmed: boolean;
  note: string;
};

/** The first step of every repair: `check` says why the finding no longer holds, or undefined when it does. */
export function confirm<P>(check: (params: P) => Promise<string | undefined>): StepDefinition<P, RepairState> {
  return {
    name: 'confirm',
    async run({ params }) {
      const note = await check(params);
      return note === undefined ? { confirmed: true } : { confirmed: false, note };
    },
  };
}

/** A step that does nothing once the first step found the finding gone. */
export function whileConfirmed<P, S extends RepairState = RepairState>(step: StepDefinition<P, S>): StepDefinition<P, S> {
  return { ...step, run: async (context) => (context.state.confirmed === true ? step.run(context) : undefined) };
}

export function outcome({ state }: StepContext<unknown, RepairState>): RepairOutcome {
  return state.confirmed === true ? { result: 'done' } : { result: 'skipped', note: String(state.note) };
}
