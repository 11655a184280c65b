import { allPages } from '../../aws/pages.js';
import { ignoreNotFound } from '../../common/errors/ignore-not-found.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import type { RepairDeps } from './repair-deps.js';
import { confirm, outcome, whileConfirmed, type RepairOutcome, type RepairState } from './repair.steps.js';

export interface ThingParams {
  thingName: string;
}

export function deleteOrphanThing({ iot, teardown, records }: RepairDeps): PersistedOperation<ThingParams, RepairOutcome, RepairState> {
  return {
    kind: 'drift-delete-thing',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ thingName }) => ((await records.deviceExists(thingName)) ? 'A device record now has this thing' : undefined)),
      whileConfirmed({
        // Every principal, not only certificates: AWS refuses DeleteThing while any is attached.
        name: 'detachPrincipals',
        async run({ params: { thingName } }) {
          const principals = await ignoreNotFound(
            allPages((token) => iot.listThingPrincipals(thingName, token)),
            [],
          );
          for (const principal of principals) await teardown.detachFromThing(thingName, principal);
        },
      }),
      whileConfirmed({ name: 'deleteThing', run: ({ params }) => teardown.deleteThing(params.thingName) }),
    ],
    result: outcome,
  };
}
