import { isDomainError } from '../../common/errors/domain-error.js';
import type { PersistedOperation } from '../../operations/kinds.js';
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
        name: 'removeMembers',
        async run({ params }) {
          for (const username of await sites.memberUsernames(params.siteId)) {
            try {
              await deps.changeMembership({ username, site: params.site, role: null });
            } catch (error) {
              // A member being deleted loses every policy (and this membership) with their own deletion.
              if (!(isDomainError(error, 'CONFLICT') && error.details?.reason === 'USER_BEING_DELETED')) throw error;
            }
          }
        },
      },
      { name: 'deleteRow', run: ({ params }) => sites.delete(params.siteId) },
    ],
    result: () => undefined,
  };
}
