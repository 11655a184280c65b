import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { orphanCertificate, orphanNames, removeAll } from './orphans.js';

let certificates = new Map<string, { certificateId: string; certificateArn: string }>();

describeFailureAtEachStep('drift-delete-thing', {
  definition: (t) => t.app.get(DriftOperations).thing,
  steps: ['confirm', 'detachPrincipals', 'deleteThing'],
  async setup(t, n) {
    const { thingName } = orphanNames(t, n);
    await t.aws.iot.createThing(thingName, {});
    const certificate = await orphanCertificate(t);
    await t.aws.iot.attachThingPrincipal(thingName, certificate.certificateArn);
    certificates = new Map([...certificates, [thingName, certificate]]);
    return { subject: deviceSubject(thingName), params: { thingName } };
  },
  async done(t, { params }) {
    expect(t.aws.iot.snapshot().things.filter((thing) => thing.thingName === params.thingName)).toEqual([]);
  },
  // The certificate is an orphan of its own, left to its own repair.
  cleanUp: (t, { params }) => removeAll(t, { thingName: params.thingName, ...certificates.get(params.thingName) }),
});
