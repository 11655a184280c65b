import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../../../src/config/app-config.js';
import { ConfigModule } from '../../../../src/config/config.module.js';
import { LocalBrokerModule } from '../../../../src/local/broker/local-broker.module.js';
import { LocalBrokerService } from '../../../../src/local/broker/local-broker.service.js';
import { BrokerTls, DataPlaneAuthority } from '../../../../src/local/data-plane.js';
import { FakeDataPlane } from '../../../support/fake-data-plane.js';
import { TestCa } from '../../../support/test-ca.js';

const ca = new TestCa();
const server = ca.issueServer();

@Global()
@Module({
  providers: [
    { provide: DataPlaneAuthority, useValue: new FakeDataPlane() },
    { provide: BrokerTls, useValue: { serverTls: () => ({ key: server.keyPem, cert: server.certificatePem, ca: ca.certificatePem }) } },
  ],
  exports: [DataPlaneAuthority, BrokerTls],
})
class SandboxStub {}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function upgradeStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'mqtt', { ca: ca.certificatePem });
    ws.once('open', () => (ws.terminate(), resolve(101)));
    ws.once('unexpected-response', (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)));
    ws.once('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
  });
}

describe('LocalBrokerModule', () => {
  it('starts the broker on the configured host and ports at bootstrap and stops it at shutdown', async () => {
    const config = loadConfig({ LOCAL_MQTT_PORT: '0', LOCAL_MQTT_WS_PORT: '0', LOCAL_MQTT_WSS_PORT: '0' });
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), LocalBrokerModule.forRoot([SandboxStub])] }).compile();
    const app = moduleRef;
    await app.init();
    closers.push(() => app.close());
    const addresses = app.get(LocalBrokerService).addresses!;
    expect(addresses.host).toBe('127.0.0.1');
    for (const port of [addresses.mqttsPort, addresses.wsPort, addresses.wssPort]) expect(port).toBeGreaterThan(0);
    // Neither a signature nor an authorizer: the upgrade succeeds, CONNECT would then be refused.
    expect(await upgradeStatus(`ws://127.0.0.1:${addresses.wsPort}/mqtt`)).toBe(101);
    expect(await upgradeStatus(`wss://localhost:${addresses.wssPort}/mqtt?X-Amz-Signature=00`)).toBe(403);
    await app.close();
    closers.pop();
    expect(app.get(LocalBrokerService).addresses).toBeUndefined();
    expect(await upgradeStatus(`ws://127.0.0.1:${addresses.wsPort}/mqtt`)).toBe('ECONNREFUSED');
  });
});
