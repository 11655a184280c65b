import { describe, expect, it } from 'vitest';
import { FakeAws } from '../../fakes/fake-aws.js';

describe("FakeIotConnections, as AWS IoT Core's DeleteConnection behaves", () => {
  it('disconnects a connected client once; a client not connected is not found (false)', async () => {
    const { connections } = new FakeAws();
    connections.connect('alice');

    expect(await connections.deleteConnection({ clientId: 'alice', cleanSession: false })).toBe(true);
    expect(await connections.deleteConnection({ clientId: 'alice', cleanSession: false })).toBe(false);
  });

  it('drops the persistent session only with cleanSession', async () => {
    const { connections } = new FakeAws();
    connections.connect('kept');
    connections.connect('dropped');

    await connections.deleteConnection({ clientId: 'kept', cleanSession: false });
    await connections.deleteConnection({ clientId: 'dropped', cleanSession: true });

    expect(connections.hasSession('kept')).toBe(true);
    expect(connections.hasSession('dropped')).toBe(false);
  });

  it('refuses a client id starting with $ and takes injected faults', async () => {
    const aws = new FakeAws();
    await expect(aws.connections.deleteConnection({ clientId: '$aws', cleanSession: false })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    aws.faults.inject({ api: 'DeleteConnection', error: 'throttle' });
    await expect(aws.connections.deleteConnection({ clientId: 'alice', cleanSession: false })).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
    expect(aws.calls).toEqual([]);
  });
});
