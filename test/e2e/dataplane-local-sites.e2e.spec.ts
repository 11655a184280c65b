import { startLocalService, type LocalService } from '../dataplane/local-service.js';
import { describeSiteDataPlane } from '../dataplane/site-scenarios.js';

let local: LocalService | undefined;

/** The sites' data-plane scenarios against the local IoT Core: one boot of the real app in local mode for the whole file. */
describeSiteDataPlane(
  'sites on the data plane of the local IoT Core',
  async () => (local = await startLocalService('dps')).target,
  async () => local?.stop(),
);
