import { describeDurability, SCENARIOS } from './durability.support.js';

/** Durability of the user operations: every AWS call each makes, failed, lost or killed (see durability.support.ts). */
describeDurability([SCENARIOS.createUser, SCENARIOS.deleteUser, SCENARIOS.signIn, SCENARIOS.disable, SCENARIOS.enable]);
