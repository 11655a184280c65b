import { Injectable } from '@nestjs/common';
import { IotPort } from '../aws/iot.port.js';
import { certificateIdOf, DeviceResources } from '../devices/device-resources.js';
import { OperationRunner } from '../operations/operation-runner.js';
import type { OperationDefinition, StepContext, StepDefinition, StepOutput } from '../operations/operation.types.js';
import { allPages } from '../aws/pages.js';
import { unlessGone } from './aws-pages.js';
import { unclaimedPolicyTarget, unclaimedThingPrincipal } from './drift-rules.js';
import { DriftRepository } from './drift.repository.js';
import type { Finding } from './drift.types.js';

export type RepairOutcome = { result: 'done' } | { result: 'skipped'; note: string };

interface RepairDeps {
  iot: IotPort;
  resources: DeviceResources;
  records: DriftRepository;
}

interface ThingParams {
  thingName: string;
}
interface PolicyParams {
  policyName: string;
}
interface CertificateParams {
  certificateId: string;
  certificateArn: string;
  things: string[];
}
interface AttachmentParams {
  on: 'thing' | 'policy';
  name: string;
  target: string;
}
interface UnattachedParams {
  certificateId: string;
  certificateArn: string;
  /** As listed by the scan: what an undo restores. */
  status: string;
}

/**
 * Repairs of orphans, each an operation under the subject of the device or user the name belongs
 * to, so none interleaves with a registration, rotation or deletion of the same name. Each first
 * asks the database again under that lock (a registration may have finished since the scan), and
 * does nothing when the finding no longer holds. Removal reuses DeviceResources, which works in
 * AWS's order and counts "already gone" as done.
 */
@Injectable()
export class DriftRepairs {
  private readonly thing: OperationDefinition<ThingParams, RepairOutcome>;
  private readonly policy: OperationDefinition<PolicyParams, RepairOutcome>;
  private readonly certificate: OperationDefinition<CertificateParams, RepairOutcome>;
  private readonly attachment: OperationDefinition<AttachmentParams, RepairOutcome>;
  private readonly unattached: OperationDefinition<UnattachedParams, RepairOutcome>;

  constructor(
    iot: IotPort,
    resources: DeviceResources,
    records: DriftRepository,
    private readonly runner: OperationRunner,
  ) {
    const deps = { iot, resources, records };
    this.thing = deleteOrphanThing(deps);
    this.policy = deleteOrphanPolicy(deps);
    this.certificate = deleteOrphanCertificate(deps);
    this.attachment = detachOrphanAttachment(deps);
    this.unattached = deleteUnattachedCertificate(deps);
    // Registered at boot, so recovery can finish a repair whose process stopped.
    for (const definition of [this.thing, this.policy, this.certificate, this.attachment, this.unattached]) runner.register(definition);
  }

  /** Removes one orphan (or detaches one attachment). */
  repairOrphan(finding: Finding): Promise<RepairOutcome> {
    const subject = finding.subject ?? `drift:${finding.name}`;
    switch (finding.kind) {
      case 'thing':
        return this.runner.run(this.thing, subject, { thingName: finding.name });
      case 'policy':
        return this.runner.run(this.policy, subject, { policyName: finding.name });
      case 'certificate':
        return this.runner.run(this.certificate, subject, {
          certificateId: finding.name,
          certificateArn: finding.certificateArn!,
          things: finding.attachedToThings ?? [],
        });
      case 'thing-principal':
      case 'policy-attachment':
        return this.runner.run(this.attachment, subject, {
          on: finding.kind === 'thing-principal' ? 'thing' : 'policy',
          name: finding.name,
          target: finding.target!,
        });
    }
  }

  /** Deactivates and deletes one certificate attached to nothing of ours; restores it when AWS refuses the delete. */
  removeUnattached(finding: Finding): Promise<RepairOutcome> {
    return this.runner.run(this.unattached, finding.subject ?? `certificate:${finding.name}`, {
      certificateId: finding.name,
      certificateArn: finding.certificateArn!,
      status: finding.status ?? 'ACTIVE',
    });
  }
}

function deleteOrphanThing({ iot, resources, records }: RepairDeps): OperationDefinition<ThingParams, RepairOutcome> {
  return {
    kind: 'drift-delete-thing',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ thingName }) => ((await records.deviceExists(thingName)) ? 'A device record now has this thing' : undefined)),
      whileConfirmed({
        // Every principal, not only certificates: AWS refuses DeleteThing while any is attached.
        name: 'detachPrincipals',
        async run({ params: { thingName } }) {
          const principals = (await unlessGone(allPages((token) => iot.listThingPrincipals(thingName, token)))) ?? [];
          for (const principal of principals) await resources.detachFromThing(thingName, principal);
        },
      }),
      whileConfirmed({ name: 'deleteThing', run: ({ params }) => resources.deleteThing(params.thingName) }),
    ],
    result: outcome,
  };
}

function deleteOrphanPolicy({ resources, records }: RepairDeps): OperationDefinition<PolicyParams, RepairOutcome> {
  return {
    kind: 'drift-delete-policy',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ policyName }) => ((await records.policyClaim(policyName)) ? 'A user or device record now has this policy' : undefined)),
      whileConfirmed({
        name: 'detachTargets',
        async run({ params: { policyName } }) {
          for (const target of await resources.policyTargets(policyName)) await resources.detachPolicy(policyName, target);
        },
      }),
      whileConfirmed({ name: 'deletePolicy', run: ({ params }) => resources.deletePolicy(params.policyName) }),
    ],
    result: outcome,
  };
}

function deleteOrphanCertificate({ iot, resources, records }: RepairDeps): OperationDefinition<CertificateParams, RepairOutcome> {
  return {
    kind: 'drift-delete-certificate',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ certificateId }) => ((await records.certificateClaim(certificateId)) ? 'A certificate record now has this id' : undefined)),
      whileConfirmed({
        // Every policy on it, ours or not: AWS refuses to delete a certificate that still has one.
        name: 'detach',
        async run({ params: { certificateArn, things } }) {
          for (const thingName of things) await resources.detachFromThing(thingName, certificateArn);
          const policies = (await unlessGone(allPages((token) => iot.listAttachedPolicies(certificateArn, token)))) ?? [];
          for (const policyName of policies) await resources.detachPolicy(policyName, certificateArn);
        },
      }),
      whileConfirmed({ name: 'deactivate', run: ({ params }) => resources.setNotActive(params.certificateId, 'INACTIVE') }),
      whileConfirmed({ name: 'deleteCertificate', run: ({ params }) => resources.deleteCertificate(params.certificateId) }),
    ],
    result: outcome,
  };
}

function detachOrphanAttachment({ resources, records }: RepairDeps): OperationDefinition<AttachmentParams, RepairOutcome> {
  const claimOf = async (principal: string) => {
    const certificateId = certificateIdOf(principal);
    return certificateId === undefined ? undefined : records.certificateClaim(certificateId);
  };
  return {
    kind: 'drift-detach',
    onFailure: 'finish',
    steps: () => [
      confirm(async ({ on, name, target }) => {
        const accounted = 'The records now account for this attachment';
        if (on === 'thing') return unclaimedThingPrincipal(name, target, await claimOf(target)) ? undefined : accounted;
        // A policy no record claims any more is an orphan as a whole; detaching is part of removing it.
        const policy = await records.policyClaim(name);
        return !policy || unclaimedPolicyTarget(policy, name, target, await claimOf(target)) ? undefined : accounted;
      }),
      whileConfirmed({
        name: 'detach',
        async run({ params: { on, name, target } }) {
          if (on === 'thing') return resources.detachFromThing(name, target);
          await resources.detachPolicy(name, target);
          // A disabled user's policy was still on its identity: the record must stop saying it is
          // attached, or enabling the user later would skip attaching it again.
          if (!certificateIdOf(target)) await records.forgetPolicyAttachment(name, target);
        },
      }),
    ],
    result: outcome,
  };
}

/**
 * AWS deletes only INACTIVE certificates, so a certificate that turns out to be in use elsewhere
 * (attached to a thing this service cannot list) has already been deactivated when DeleteCertificate
 * refuses; the undo sets it ACTIVE again. Checked first: no record, no device operation running
 * (one may have created it and not attached it yet), no policy attached to it.
 */
function deleteUnattachedCertificate({ iot, resources, records }: RepairDeps): OperationDefinition<UnattachedParams, RepairOutcome> {
  return {
    kind: 'drift-delete-unattached-certificate',
    onFailure: 'undo',
    steps: () => [
      confirm(async ({ certificateId, certificateArn }) => {
        if (await records.certificateClaim(certificateId)) return 'A certificate record now has this id';
        if (await records.deviceOperationsRunning()) return 'Device operations are running; one may be about to attach it';
        const policies = (await unlessGone(allPages((token) => iot.listAttachedPolicies(certificateArn, token)))) ?? [];
        return policies.length > 0 ? `Policies are attached to it (${policies.join(', ')}), so something uses it` : undefined;
      }),
      whileConfirmed({
        name: 'deactivate',
        run: ({ params }) => resources.setNotActive(params.certificateId, 'INACTIVE'),
        async undo({ params, state }) {
          if (state.confirmed === true && params.status === 'ACTIVE') await unlessGone(iot.updateCertificateStatus(params.certificateId, 'ACTIVE'));
        },
      }),
      whileConfirmed({
        name: 'deleteCertificate',
        run: async ({ params }) => {
          await unlessGone(iot.deleteCertificate(params.certificateId));
        },
      }),
    ],
    result: outcome,
  };
}

/** The first step of every repair: `check` says why the finding no longer holds, or undefined when it does. */
function confirm<P>(check: (params: P) => Promise<string | undefined>): StepDefinition<P> {
  return {
    name: 'confirm',
    async run({ params }): Promise<StepOutput> {
      const note = await check(params);
      return note === undefined ? { confirmed: true } : { confirmed: false, note };
    },
  };
}

function whileConfirmed<P>(step: StepDefinition<P>): StepDefinition<P> {
  return { ...step, run: async (context) => (context.state.confirmed === true ? step.run(context) : undefined) };
}

function outcome({ state }: StepContext<unknown>): RepairOutcome {
  return state.confirmed === true ? { result: 'done' } : { result: 'skipped', note: String(state.note) };
}
