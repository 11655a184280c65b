import { startLocalService, type LocalService } from '../dataplane/local-service.js';
import { describeDataPlane } from '../dataplane/scenarios.js';

let local: LocalService | undefined;

/** The data-plane scenarios against the local IoT Core: one boot of the real app in local mode for the whole file. */
describeDataPlane(
  'data plane against the local IoT Core',
  async () => (local = await startLocalService('dp')).target,
  async () => local?.stop(),
);
