import { expect } from 'vitest';
import { DriftOperations } from '../../../../src/drift/operations/drift-operations.js';
import { deviceSubject } from '../../../../src/operations/subjects.js';
import { describeFailureAtEachStep } from '../../../support/operation-steps.js';
import { orphanCertificate, orphanNames, removeAll } from './orphans.js';

describeFailureAtEachStep('drift-detach', {
  definition: (t) => t.app.get(DriftOperations).attachment,
  steps: ['confirm', 'detach'],
  async setup(t, n) {
    const { thingName } = orphanNames(t, n);
    await t.aws.iot.createThing(thingName, {});
    const { certificateArn } = await orphanCertificate(t);
    await t.aws.iot.attachThingPrincipal(thingName, certificateArn);
    return { subject: deviceSubject(thingName), params: { on: 'thing' as const, name: thingName, target: certificateArn } };
  },
  async done(t, { params }) {
    expect(t.aws.iot.snapshot().thingPrincipals).not.toContainEqual({ thingName: params.name, principal: params.target });
  },
  cleanUp: (t, { params }) => removeAll(t, { thingName: params.name, certificateArn: params.target, certificateId: params.target.split('/').at(-1) }),
});
