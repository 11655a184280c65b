import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { OperationRunner } from '../operations/operation-runner.js';
import { certificateSubject, driftSubject, userSubject } from '../operations/subjects.js';
import type { Finding } from './drift.types.js';
import { DriftOperations } from './operations/drift-operations.js';
import type { RepairOutcome } from './operations/repair.steps.js';

/**
 * Repairs of orphans, each an operation under the subject of the device or user the name belongs
 * to (a pool user: its username's), so none interleaves with a registration, rotation, creation
 * or deletion of the same name. Each first asks the database again under that lock (a
 * registration may have finished since the scan), and does nothing when the finding no longer
 * holds. Removal goes through IotTeardown, which works in AWS's order and counts "already gone" as done.
 */
@Injectable()
export class DriftRepairs {
  constructor(
    private readonly operations: DriftOperations,
    private readonly runner: OperationRunner,
  ) {}

  /** Removes one orphan (or detaches one attachment). */
  repairOrphan(finding: Finding): Promise<RepairOutcome> {
    const subject = finding.subject ?? driftSubject(finding.name);
    switch (finding.kind) {
      case 'thing':
        return this.runner.run(this.operations.thing, subject, { thingName: finding.name });
      case 'policy':
        return this.runner.run(this.operations.policy, subject, { policyName: finding.name });
      case 'certificate':
        return this.runner.run(this.operations.certificate, subject, {
          certificateId: finding.name,
          certificateArn: finding.certificateArn!,
          things: finding.attachedToThings ?? [],
        });
      case 'thing-principal':
      case 'policy-attachment':
        return this.runner.run(this.operations.attachment, subject, {
          on: finding.kind === 'thing-principal' ? 'thing' : 'policy',
          name: finding.name,
          target: finding.target!,
        });
      case 'pool-user':
        return this.runner.run(this.operations.poolUser, userSubject(finding.name), { username: finding.name, userId: finding.userId! });
      case 'policy-document':
        // Reported for an administrator to review; a changed document is never an orphan.
        throw DomainError.validation('A changed policy document is not removed as an orphan', { policyName: finding.name });
    }
  }

  /** Creates again a further policy a user's sites need, and attaches it to their identity when their record says it should be. */
  recreatePolicy(finding: Finding): Promise<RepairOutcome> {
    return this.runner.run(this.operations.recreatePolicy, finding.subject ?? userSubject(finding.owner!), {
      username: finding.owner!,
      policyName: finding.name,
    });
  }

  /** Deactivates and deletes one certificate attached to nothing of ours; restores it when AWS refuses the delete. */
  removeUnattached(finding: Finding): Promise<RepairOutcome> {
    return this.runner.run(this.operations.unattached, finding.subject ?? certificateSubject(finding.name), {
      certificateId: finding.name,
      certificateArn: finding.certificateArn!,
      status: finding.status ?? 'ACTIVE',
    });
  }
}
