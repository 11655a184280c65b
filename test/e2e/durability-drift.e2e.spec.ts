import { describeDurability, SCENARIOS, SITE_SCENARIOS } from './durability.support.js';

/** Durability of the drift repairs: every AWS call the scan and the repair make, failed, lost or killed (see durability.support.ts). */
describeDurability([SCENARIOS.driftDeleteCognitoUser, SITE_SCENARIOS.driftRecreatePolicy]);
