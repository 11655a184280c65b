import { describeDurability, SITE_SCENARIOS } from './durability.support.js';

/** Durability of the site operations: every AWS call each makes, failed, lost or killed (see durability.support.ts). */
describeDurability([SITE_SCENARIOS.join, SITE_SCENARIOS.leave, SITE_SCENARIOS.deleteSite, SITE_SCENARIOS.signInWithSites]);
