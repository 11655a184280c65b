import type { ModuleRef } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { ConnectionMatch } from '../../../../src/local/broker/local-broker.js';
import type { LocalBrokerService } from '../../../../src/local/broker/local-broker.service.js';
import { LocalIotConnections } from '../../../../src/local/broker/local-iot-connections.js';
import { LocalRuntime } from '../../../../src/local/local-runtime.js';
import type { LocalSandbox } from '../../../../src/local/local-sandbox.js';

/** A broker that holds connections as (clientId, certificateId, identityId) and closes what matches every given field. */
function withBroker(connections: ConnectionMatch[], runtime = new LocalRuntime()): LocalIotConnections {
  const broker = {
    async closeConnections(match: ConnectionMatch) {
      const matching = connections.filter((c) => Object.entries(match).every(([key, value]) => c[key as keyof ConnectionMatch] === value));
      for (const closed of matching) connections.splice(connections.indexOf(closed), 1);
      return matching.length;
    },
  } as unknown as LocalBrokerService;
  return new LocalIotConnections({ get: () => broker } as unknown as ModuleRef, { runtime } as LocalSandbox);
}

describe('LocalIotConnections', () => {
  it('closes only the connection made with the revoked certificate', async () => {
    const live: ConnectionMatch[] = [{ clientId: 'iotp_alice_kettle', certificateId: 'new' }];

    expect(await withBroker(live).deleteConnection({ clientId: 'iotp_alice_kettle', cleanSession: false, certificateId: 'old' })).toBe(false);
    expect(live).toHaveLength(1);
  });

  it("closes every connection of a user's identity, <user>.<suffix> ones too", async () => {
    const live: ConnectionMatch[] = [
      { clientId: 'alice', identityId: 'eu-west-1:a' },
      { clientId: 'alice.tablet', identityId: 'eu-west-1:a' },
      { clientId: 'bob', identityId: 'eu-west-1:b' },
    ];

    expect(await withBroker(live).deleteConnection({ clientId: 'alice', cleanSession: false, identityId: 'eu-west-1:a' })).toBe(true);
    expect(live.map((c) => c.clientId)).toEqual(['bob']);
  });

  it('closes nothing when no broker runs in the process', async () => {
    const connections = new LocalIotConnections(
      {
        get: () => {
          throw new Error('no such provider');
        },
      } as unknown as ModuleRef,
      { runtime: new LocalRuntime() } as LocalSandbox,
    );
    expect(await connections.deleteConnection({ clientId: 'alice', cleanSession: false })).toBe(false);
  });

  it('is a call of the local IoT Core like any other: logged, and failed by an injected fault as AWS would fail it', async () => {
    const runtime = new LocalRuntime();
    const live: ConnectionMatch[] = [{ clientId: 'iotp_alice_kettle' }];
    const connections = withBroker(live, runtime);
    runtime.faults.inject({ api: 'DeleteConnection', error: 'unavailable' });

    await expect(connections.deleteConnection({ clientId: 'iotp_alice_kettle', cleanSession: true })).rejects.toMatchObject({
      code: 'AWS_UNAVAILABLE',
    });
    expect(live).toHaveLength(1);
    expect(await connections.deleteConnection({ clientId: 'iotp_alice_kettle', cleanSession: true })).toBe(true);
    expect(live).toEqual([]);
    expect(runtime.calls).toEqual([
      { api: 'DeleteConnection', input: { clientId: 'iotp_alice_kettle', cleanSession: true, preventWillMessage: false } },
      { api: 'DeleteConnection', input: { clientId: 'iotp_alice_kettle', cleanSession: true, preventWillMessage: false } },
    ]);
  });
});
