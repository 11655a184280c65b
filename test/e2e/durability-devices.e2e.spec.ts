import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPoints, crashCase, failureCase, probeCalls, probeUndoCalls, SCENARIOS, startRig, undoFailureCase, type Rig } from './durability.support.js';

/**
 * Durability of the device operations, table-driven over every AWS call each one makes: a failure (or a
 * throttle) answers the mapped 503 and leaves no orphan and no ghost, a creation undone and a
 * deletion finished by a re-run; a kill at the call is finished or undone by recovery in another
 * process, and the killed process, waking up, changes nothing. See durability.support.ts.
 */
describe.each([SCENARIOS.registerWithCsr, SCENARIOS.registerWithGeneratedKeys, SCENARIOS.rotate, SCENARIOS.revoke, SCENARIOS.deleteDevice])('durability: $name', (scenario) => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => rig?.close());

  it('makes exactly the AWS calls the matrix covers', async () => {
    expect(await probeCalls(rig, scenario)).toEqual(scenario.calls);
  });

  const points = callPoints(scenario.calls);

  it.each(points)('AWS unavailable at call $index ($api #$nth): 503, then consistent', (point) => failureCase(rig, scenario, point, 'unavailable'));

  it.each(points)('AWS throttles call $index ($api #$nth): 503 with Retry-After, then consistent', (point) => failureCase(rig, scenario, point, 'throttle'));

  it.each(points)('AWS acts on call $index ($api #$nth) but the answer is lost: 503, then consistent', (point) =>
    failureCase(rig, scenario, point, 'unavailable', true),
  );

  const undoPoints = callPoints(scenario.undoCalls ?? []);
  if (undoPoints.length > 0) {
    it('undoes with exactly the AWS calls the matrix covers', async () => {
      expect(await probeUndoCalls(rig, scenario)).toEqual(scenario.undoCalls);
    });

    it.each(undoPoints)('the undo fails too, at its call $index ($api #$nth): held UNDOING, recovery completes the undo', (point) =>
      undoFailureCase(rig, scenario, point),
    );
  }

  it.each(points)('killed at call $index ($api #$nth) before it reaches AWS: recovery in another process ends it, the killed one changes nothing', (point) =>
    crashCase(rig, scenario, point, 'before'),
  );

  // Deletions repeat every step idempotently; creations must also undo what AWS did but never confirmed.
  if (scenario.onFailure === 'undo') {
    it.each(points)('killed right after AWS acted on call $index ($api #$nth): recovery undoes it, the killed one changes nothing', (point) =>
      crashCase(rig, scenario, point, 'after'),
    );
  }
});
