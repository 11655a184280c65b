import { DomainError } from './domain-error.js';

/**
 * A site whose deletion has started (its devices may already be gone) gets nothing new: a device
 * registered now would outlive it. A deletion that stopped mid-way is finished by repeating it.
 */
export function siteBeingDeleted(site: string): DomainError {
  return new DomainError(
    'CONFLICT',
    `Site ${site} is being deleted; a deletion that stopped mid-way is finished by repeating DELETE /v1/sites/${site}`,
    {
      reason: 'SITE_BEING_DELETED',
      site,
    },
  );
}
