import { describeDurability, SCENARIOS } from './durability.support.js';

/** Durability of the device operations: every AWS call each makes, failed, lost or killed (see durability.support.ts). */
describeDurability([SCENARIOS.registerWithCsr, SCENARIOS.registerWithGeneratedKeys, SCENARIOS.rotate, SCENARIOS.revoke, SCENARIOS.deleteDevice]);
