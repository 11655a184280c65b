import { it } from 'vitest';
import { startTestApp, ADMIN_KEY } from '../support/test-app.js';
it('probe', async () => {
  const t = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
  const deep = '{"username":' + '['.repeat(20000) + ']'.repeat(20000) + ',"password":"x"}';
  const cases: Array<[string, string, string | undefined]> = [
    ['get', '/v1/users/%00/devices', undefined],
    ['get', '/v1/devices/%00', undefined],
    ['post', '/v1/sessions', deep],
    ['post', '/v1/sessions', JSON.stringify({ username: 'a\u0000b', password: 'x' })],
    ['post', '/v1/users', '{"a":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001)],
    ['get', '/v1/operations?cursor=%00', undefined],
  ];
  for (const [method, url, body] of cases) {
    let r = (t.http as any)[method](url).set('x-api-key', ADMIN_KEY);
    if (body) r = r.set('content-type', 'application/json').send(body);
    const res = await r;
    console.log(method, url.slice(0, 40), res.status, res.text.slice(0, 200));
  }
  for (const line of t.logs.text().split('\n').filter((l) => l.includes('"level":50'))) console.log(line.slice(0, 700));
  await t.close();
});
