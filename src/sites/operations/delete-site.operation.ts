import { DomainError, isDomainError } from '../../common/errors/domain-error.js';
import type { PersistedOperation } from '../../operations/kinds.js';
import { PAST_UNDO_STEP } from './change-membership.operation.js';
import type { SiteOperationDeps } from './site-operation-deps.js';

export interface DeleteSiteParams {
  siteId: string;
  site: string;
}

/**
 * Removes a site in the order AWS requires: marked first (no member or device joins it from then
 * on, and its grant leaves every compile, so the authorizer stops returning it at once), its
 * devices deleted, then the site taken off each member (a change-membership of that member, under
 * their subject: their slot policies versioned, or detached and deleted when a slot is no longer
 * needed), then the row. Every step is re-runnable: a deletion that stopped is finished by
 * repeating it, members already taken off and devices already gone counting as done.
 */
export function deleteSiteOperation(deps: SiteOperationDeps): PersistedOperation<DeleteSiteParams, void> {
  const { sites } = deps;
  return {
    kind: 'delete-site',
    onFailure: 'finish',
    steps: () => [
      { name: 'markDeleting', run: ({ params }) => sites.markDeletionStarted(params.siteId) },
      { name: 'deleteDevices', run: ({ params }) => deps.devices.deleteSiteDevices({ id: params.siteId, name: params.site }) },
      {
        // One member after another, each completely; one that fails stops the deletion, and repeating it goes on from there.
        // Also whoever has a change of this site under way: it may yet be undone and put their row back, so it is waited for.
        name: 'removeMembers',
        async run({ params }) {
          const changing = await undoableChanges(deps, params.site);
          for (const username of new Set([...(await sites.memberUsernames(params.siteId)), ...changing])) {
            try {
              await deps.changeMembership({ username, site: params.site, role: null });
            } catch (error) {
              // A member being deleted (or gone) loses every policy and this membership with their own deletion.
              const userGone =
                isDomainError(error, 'NOT_FOUND') || (isDomainError(error, 'CONFLICT') && error.details?.reason === 'USER_BEING_DELETED');
              if (!userGone) throw error;
            }
          }
        },
      },
      {
        name: 'deleteRow',
        async run({ params }) {
          // A change that can still be undone would put a membership back into a site that no longer exists.
          const changing = await undoableChanges(deps, params.site);
          if (changing.length > 0) {
            throw new DomainError('OPERATION_IN_PROGRESS', `Membership changes of site ${params.site} are under way; repeat the deletion`, {
              site: params.site,
              usernames: changing,
            });
          }
          await sites.delete(params.siteId);
        },
      },
    ],
    result: () => undefined,
  };
}

/** Users with a change of this site that has not reached its point of no return. */
async function undoableChanges(deps: SiteOperationDeps, site: string): Promise<string[]> {
  const changes = await deps.sites.changesInProgress(site);
  return changes.filter((change) => !change.steps.includes(PAST_UNDO_STEP)).map((change) => change.username);
}
