import { describe, expect, it } from 'vitest';
import { ConnectionCutoff } from '../../../src/aws/connection-cutoff.js';
import { FakeAws } from '../../fakes/fake-aws.js';

const NO_WAIT = [0, 0];

describe('ConnectionCutoff', () => {
  it('closes connected clients and reports those that were not connected', async () => {
    const aws = new FakeAws();
    aws.connections.connect('alice');

    const report = await new ConnectionCutoff(aws.connections).close(
      [
        { clientId: 'alice', cleanSession: false },
        { clientId: 'iotp_alice_kettle', cleanSession: true },
      ],
      NO_WAIT,
    );

    expect(report).toEqual({ closed: ['alice'], notConnected: ['iotp_alice_kettle'], failed: [] });
    expect(aws.connections.isConnected('alice')).toBe(false);
  });

  it('retries a failed DeleteConnection, and reports one that keeps failing without throwing', async () => {
    const aws = new FakeAws();
    aws.connections.connect('alice');
    aws.connections.connect('bob');
    aws.faults.inject({ api: 'DeleteConnection', error: 'throttle', times: 1 });

    const retried = await new ConnectionCutoff(aws.connections).close([{ clientId: 'alice', cleanSession: false }], NO_WAIT);
    expect(retried).toEqual({ closed: ['alice'], notConnected: [], failed: [] });
    expect(aws.connections.clientIds()).toEqual(['alice', 'alice']);

    aws.faults.inject({ api: 'DeleteConnection', error: 'unavailable', times: 3 });
    const failed = await new ConnectionCutoff(aws.connections).close([{ clientId: 'bob', cleanSession: false }], NO_WAIT);
    expect(failed).toEqual({ closed: [], notConnected: [], failed: [{ clientId: 'bob', code: 'AWS_UNAVAILABLE' }] });
    expect(aws.connections.isConnected('bob')).toBe(true);
  });
});
