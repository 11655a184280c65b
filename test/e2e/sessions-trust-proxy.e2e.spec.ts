import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signIn } from '../support/http/sessions.js';

// One app per file: the request logger of the first app in a process is the one later apps log through.
const MAX_PER_ADDRESS = 20;
const WRONG = 'Wrong-Password-1';

describe('client addresses without a trusted proxy', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('ignores a spoofed X-Forwarded-For, so rotating it does not escape the per-address ceiling, and warns once', async () => {
    t = await startTestApp({ env: { SIGNIN_MAX_FAILURES_PER_ADDRESS: String(MAX_PER_ADDRESS), TRUST_PROXY: 'false' } });
    for (let attempt = 0; attempt < MAX_PER_ADDRESS; attempt++) {
      expect((await signIn(t, `spoof-${attempt}`, WRONG, `203.0.113.${attempt}`)).status).toBe(401);
    }
    const blocked = await signIn(t, 'spoof-x', WRONG, '198.51.100.77');
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    const warnings = t.logs.records().filter((record) => String(record.msg).includes('X-Forwarded-For while TRUST_PROXY is unset'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
  });
});
