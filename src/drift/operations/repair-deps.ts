import type { IotTeardown } from '../../aws/iot-teardown.js';
import type { IotPort } from '../../aws/iot.port.js';
import type { UserPoolPort } from '../../aws/user-pool.port.js';
import type { DriftRepository } from '../drift.repository.js';
import type { PolicyClaims } from '../policy-claims.js';

/** What the repairs work with; DriftOperations builds it. */
export interface RepairDeps {
  iot: IotPort;
  userPool: UserPoolPort;
  teardown: IotTeardown;
  records: DriftRepository;
  claims: PolicyClaims;
}
