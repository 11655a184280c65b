import type { FakeAws } from '../fakes/fake-aws.js';

/** The AWS API names called so far, in order. */
export function apis(aws: FakeAws): string[] {
  return aws.calls.map((call) => call.api);
}
