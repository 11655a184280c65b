import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/app-config.js';
import { localModeBanner } from '../../../src/local/banner.js';

describe('localModeBanner', () => {
  const config = loadConfig({ AWS_MODE: 'local', LOCAL_MQTT_PORT: '0', LOCAL_MQTT_WS_PORT: '0', LOCAL_MQTT_WSS_PORT: '0' });

  it('shows the ports the broker is bound to, not the 0 it was configured with', () => {
    const banner = localModeBanner(config, { embeddedDatabase: true, bound: { mqttsPort: 41883, wsPort: 41880, wssPort: 41443 } });
    expect(banner).toContain('mqtts://127.0.0.1:41883');
    expect(banner).toContain('wss://127.0.0.1:41443/mqtt');
    expect(banner).toContain('ws://127.0.0.1:41880/mqtt');
    expect(banner).not.toMatch(/:0\b/);
  });

  it('shows the configured ports before the broker reports any', () => {
    const banner = localModeBanner(loadConfig({ AWS_MODE: 'local' }), { embeddedDatabase: false });
    expect(banner).toContain('mqtts://127.0.0.1:8883');
    expect(banner).toContain('the database at DATABASE_URL');
  });
});
