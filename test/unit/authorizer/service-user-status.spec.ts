import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUserStatus } from '../../../src/authorizer/service-user-status.js';

const DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:eu-west-1:123456789012:client/alice' }],
};

/** A stand-in for the service: answers each username with the status and body the test sets. */
describe('ServiceUserStatus', () => {
  let server: Server;
  let url: string;
  const answers = new Map<string, { status: number; body: unknown }>();
  const seen: { url: string; secret: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url!, secret: request.headers['x-authorizer-secret'] as string | undefined });
      const username = decodeURIComponent(new URL(request.url!, 'http://x').pathname.split('/').at(-1)!);
      const answer = answers.get(username) ?? { status: 404, body: {} };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new ServiceUserStatus(url, 'the-secret');

  it("returns an active user's documents, asking with the secret and the sub", async () => {
    answers.set('alice', { status: 200, body: { username: 'alice', active: true, policyDocuments: [DOCUMENT] } });
    expect(await client().statusOf('alice', 'sub-1')).toEqual({ active: true, policyDocuments: [DOCUMENT] });
    expect(seen.at(-1)).toEqual({ url: '/v1/authorizer/users/alice?sub=sub-1', secret: 'the-secret' });
  });

  it('answers an inactive user without documents', async () => {
    answers.set('carol', { status: 200, body: { username: 'carol', active: false } });
    expect(await client().statusOf('carol', 'sub-2')).toEqual({ active: false });
  });

  it.each([
    ['no documents (a service older than the Lambda)', { username: 'olga', active: true }],
    ['documents that are not objects', { username: 'olga', active: true, policyDocuments: ['{"Version":"2012-10-17"}'] }],
    ['documents that are not a list', { username: 'olga', active: true, policyDocuments: DOCUMENT }],
  ])('throws, so the core denies, for an active user with %s', async (_, body) => {
    answers.set('olga', { status: 200, body });
    await expect(client().statusOf('olga', 'sub-3')).rejects.toThrow(/without policy documents/);
  });

  it('throws on a refusal of the service', async () => {
    answers.set('dave', { status: 401, body: { code: 'UNAUTHENTICATED' } });
    await expect(client().statusOf('dave', 'sub-4')).rejects.toThrow(/401/);
  });
});
