import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwksFetcher } from '../../../src/auth/jwks-fetcher.js';

describe('JwksFetcher', () => {
  const seen: IncomingHttpHeaders[] = [];
  let url: string;
  const server = createServer((request, response) => {
    seen.push(request.headers);
    if (request.url === '/big') response.end('x'.repeat(600 * 1024));
    else if (request.url === '/missing') response.writeHead(404).end();
    else response.end('{"keys":[]}');
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches over plain http, without credentials by default', async () => {
    const body = await new JwksFetcher().fetch(`${url}/jwks.json`);
    expect(Buffer.from(body).toString()).toBe('{"keys":[]}');
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it("sends an emulator's routing scope (region, cognito-idp) when pointed at an emulator", async () => {
    await new JwksFetcher('eu-west-1').fetch(`${url}/jwks.json`);
    expect(seen.at(-1)?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=emulator\/\d{8}\/eu-west-1\/cognito-idp\/aws4_request/);
  });

  it('refuses error answers and oversized key sets', async () => {
    await expect(new JwksFetcher().fetch(`${url}/missing`)).rejects.toThrow(/answered 404/);
    await expect(new JwksFetcher().fetch(`${url}/big`)).rejects.toThrow(/larger than/);
  });
});
