import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import {
  authorize,
  principalIdOf,
  tokenOf,
  type AuthorizerAllow,
  type AuthorizerDeps,
  type AuthorizerLogEntry,
} from '../../../src/authorizer/authorizer.core.js';
import { userPolicyDocument, type PolicyDocument } from '../../../src/policy/documents.js';
import { authorizerRequest } from './fixtures.js';

const scope = { region: 'eu-west-1', accountId: '123456789012' };
const NOW_MS = Date.UTC(2026, 0, 1);
const NOW = NOW_MS / 1000;
const TOKEN = 'eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const SUB = '3f1c2a7e-9b8d-4c6f-a1e2-d3c4b5a69788';

/** Deps for a world in which TOKEN is alice's valid token, alice is active, and the clock is fixed. */
function world(overrides: Partial<AuthorizerDeps> & { expiresIn?: number } = {}) {
  const logs: AuthorizerLogEntry[] = [];
  const deps: AuthorizerDeps = {
    verifyToken: vi.fn(async (token: string) => {
      if (token !== TOKEN) throw new DomainError('UNAUTHENTICATED', 'The token is invalid or expired');
      return { username: 'alice', sub: SUB, expiresAt: NOW + (overrides.expiresIn ?? 3600) };
    }),
    isUserActive: vi.fn(async (username: string, sub: string) => username === 'alice' && sub === SUB),
    policyFor: vi.fn(async (username: string) => [userPolicyDocument(scope, username)]),
    now: () => NOW_MS,
    log: (entry) => logs.push(entry),
    ...overrides,
  };
  return { deps, logs };
}

const allowed = (response: unknown) => {
  expect(response).toMatchObject({ isAuthenticated: true });
  return response as AuthorizerAllow;
};

describe('authorize: the token', () => {
  it('takes the token AWS extracted (MQTT over WebSocket)', async () => {
    const { deps } = world();
    const response = allowed(await authorize(authorizerRequest('mqtt-over-websocket', TOKEN), deps));
    expect(deps.verifyToken).toHaveBeenCalledWith(TOKEN);
    expect(response.policyDocuments).toEqual([userPolicyDocument(scope, 'alice')]);
  });

  it('decodes the MQTT password, which AWS sends base64-encoded', async () => {
    const { deps } = world();
    allowed(await authorize(authorizerRequest('mqtt-username-password', TOKEN), deps));
    expect(deps.verifyToken).toHaveBeenCalledWith(TOKEN);
  });

  it('falls back to the iot-token header or query parameter when AWS leaves token out', () => {
    const request = authorizerRequest('mqtt-over-websocket', TOKEN) as unknown as Record<string, unknown>;
    delete request.token;
    expect(tokenOf(request)).toBe(TOKEN);
    expect(tokenOf({ protocolData: { http: { headers: { 'IOT-Token': TOKEN } } } })).toBe(TOKEN);
    expect(tokenOf({ protocolData: { http: { queryString: `?x-amz-customauthorizer-name=a&iot-token=${TOKEN}` } } })).toBe(TOKEN);
  });

  it('prefers token over the password', () => {
    const password = Buffer.from('other.token.value').toString('base64');
    expect(tokenOf({ token: TOKEN, protocolData: { mqtt: { password } } })).toBe(TOKEN);
  });

  it('ignores a password that is not base64', () => {
    expect(tokenOf({ protocolData: { mqtt: { password: 'not base64!' } } })).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['a string', 'token'],
    ['an array', [TOKEN]],
    ['an empty object', {}],
    ['a numeric token', { token: 42 }],
    ['protocolData of the wrong type', { protocolData: 'mqtt' }],
    ['a blank token', { token: '   ' }],
    ['an oversized token', { token: 'a'.repeat(10_000) }],
  ])('denies %s without asking the verifier', async (_, request) => {
    const { deps, logs } = world();
    expect(await authorize(request, deps)).toEqual({ isAuthenticated: false });
    expect(deps.verifyToken).not.toHaveBeenCalled();
    expect(logs).toEqual([expect.objectContaining({ outcome: 'denied', reason: 'no token in the request' })]);
  });
});

describe('authorize: the user', () => {
  it('denies a token the verifier rejects, and says so without the token', async () => {
    const { deps, logs } = world();
    const response = await authorize(authorizerRequest('mqtt-over-websocket', 'forged.token.value'), deps);
    expect(response).toEqual({ isAuthenticated: false });
    expect(logs).toEqual([
      expect.objectContaining({ outcome: 'denied', reason: 'token rejected', connectionId: '8c3f0a5e-2d1b-4c7e-9f6a-1b2c3d4e5f60' }),
    ]);
    expect(JSON.stringify(logs)).not.toContain('forged.token.value');
    expect(deps.isUserActive).not.toHaveBeenCalled();
  });

  it("asks about the token's user and Cognito sub", async () => {
    const { deps } = world();
    await authorize({ token: TOKEN }, deps);
    expect(deps.isUserActive).toHaveBeenCalledWith('alice', SUB);
  });

  it('denies a user the service did not provision or has disabled, before building any policy', async () => {
    const { deps } = world({ isUserActive: vi.fn(async () => false) });
    expect(await authorize({ token: TOKEN }, deps)).toEqual({ isAuthenticated: false });
    expect(deps.policyFor).not.toHaveBeenCalled();
  });

  it.each([
    ['the database', { isUserActive: vi.fn(async () => Promise.reject(new Error('connect ECONNREFUSED'))) }],
    ['the JWKS fetch', { verifyToken: vi.fn(async () => Promise.reject(new Error('JWKS request failed'))) }],
    ['the AWS scope', { policyFor: vi.fn(async () => Promise.reject(new DomainError('AWS_NOT_CONFIGURED', 'AWS is not configured'))) }],
  ])('denies, and logs the error, when %s fails', async (_, failing) => {
    const { deps, logs } = world(failing as Partial<AuthorizerDeps>);
    expect(await authorize({ token: TOKEN }, deps)).toEqual({ isAuthenticated: false });
    expect(logs).toEqual([expect.objectContaining({ outcome: 'denied', error: expect.any(Error) })]);
  });
});

describe('authorize: the response', () => {
  it('answers the sub without hyphens, a 300-second refresh and the remaining token life', async () => {
    const { deps, logs } = world({ expiresIn: 3600 });
    expect(await authorize({ token: TOKEN }, deps)).toEqual({
      isAuthenticated: true,
      principalId: '3f1c2a7e9b8d4c6fa1e2d3c4b5a69788',
      disconnectAfterInSeconds: 3600,
      refreshAfterInSeconds: 300,
      policyDocuments: [userPolicyDocument(scope, 'alice')],
    });
    expect(logs).toEqual([expect.objectContaining({ outcome: 'allowed', principalId: '3f1c2a7e9b8d4c6fa1e2d3c4b5a69788' })]);
  });

  it.each([
    [1, 300],
    [299, 300],
    [300, 300],
    [86_400, 86_400],
    [86_401, 86_400],
    [30 * 86_400, 86_400],
  ])('clamps a remaining life of %i seconds to %i', async (expiresIn, expected) => {
    const { deps } = world({ expiresIn });
    expect(allowed(await authorize({ token: TOKEN }, deps)).disconnectAfterInSeconds).toBe(expected);
  });

  it('denies a token that expired by the clock even if the verifier let it through', async () => {
    const { deps } = world({ expiresIn: 0 });
    expect(await authorize({ token: TOKEN }, deps)).toEqual({ isAuthenticated: false });
  });

  it('denies rather than send more than 10 documents or one AWS would refuse', async () => {
    const many = world({ policyFor: vi.fn(async () => Array.from({ length: 11 }, () => userPolicyDocument(scope, 'alice'))) });
    expect(await authorize({ token: TOKEN }, many.deps)).toEqual({ isAuthenticated: false });
    const huge: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:eu-west-1:123456789012:topic/${'x'.repeat(2100)}` }],
    };
    const oversized = world({ policyFor: vi.fn(async () => [huge]) });
    expect(await authorize({ token: TOKEN }, oversized.deps)).toEqual({ isAuthenticated: false });
  });
});

describe('principalIdOf', () => {
  it('is always 1-128 alphanumerics, whatever the sub', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (sub) => /^[a-zA-Z0-9]{1,128}$/.test(principalIdOf(sub))));
  });

  it('is stable per sub and differs between subs', () => {
    expect(principalIdOf(SUB)).toBe(principalIdOf(SUB));
    expect(principalIdOf(SUB)).not.toBe(principalIdOf('3f1c2a7e-9b8d-4c6f-a1e2-d3c4b5a69789'));
    expect(principalIdOf('weird sub!')).toBe(principalIdOf('weird sub!'));
    expect(principalIdOf('weird sub!')).not.toBe(principalIdOf('weird sub?'));
  });
});
