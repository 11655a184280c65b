import { describeDurability, SCENARIOS } from './durability.support.js';

/** Durability of a site's devices: registration and deletion, every AWS call failed, lost or killed (see durability.support.ts). */
describeDurability([SCENARIOS.registerSiteDevice, SCENARIOS.deleteSiteDevice]);
