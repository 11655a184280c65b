import { afterEach, describe, expect, it, vi } from 'vitest';
import { QuotaLimiter } from '../../../src/aws/quota-limiter.js';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import { loadConfig } from '../../../src/config/app-config.js';
import { FakeAws } from '../../fakes/fake-aws.js';

/** Starts n CreateThing calls, settling each at once so that no rejection goes unhandled while timers run. */
function createThings(aws: FakeAws, n: number): Array<Promise<string>> {
  return Array.from({ length: n }, (_, i) =>
    aws.iot.createThing(`t${i}`, {}).then(
      () => 'ok',
      (error: DomainError) => error.code,
    ),
  );
}

async function outcomes(calls: Array<Promise<string>>): Promise<{ ok: number; throttled: number }> {
  const results = await Promise.all(calls);
  return { ok: results.filter((r) => r === 'ok').length, throttled: results.filter((r) => r === 'AWS_THROTTLED').length };
}

describe('FakeAws', () => {
  afterEach(() => vi.useRealTimers());

  it('logs every call of the three fakes in order under the AWS API name', async () => {
    const aws = new FakeAws();
    aws.userPool.seedUser({ username: 'alice', password: 'Passw0rd!' });
    const outcome = await aws.userPool.signIn('alice', 'Passw0rd!');
    const idToken = outcome.kind === 'tokens' ? outcome.tokens.idToken : '';
    const identityId = await aws.identityPool.getIdentityId(idToken);
    await aws.iot.createThing('dev-1', { owner: 'alice' });
    expect(aws.calls.map((c) => c.api)).toEqual(['AdminInitiateAuth', 'GetId', 'CreateThing']);
    expect(aws.calls[2]).toEqual({ api: 'CreateThing', input: { thingName: 'dev-1', attributePayload: { attributes: { owner: 'alice' } } } });
    expect(JSON.stringify(aws.calls)).not.toContain('Passw0rd!');
    expect(aws.countCalls('GetId')).toBe(1);
    expect(aws.snapshot()).toMatchObject({ identities: [{ identityId }], things: [{ thingName: 'dev-1' }] });
    expect(aws.isEmpty()).toBe(false);
    aws.resetCalls();
    expect(aws.countCalls()).toBe(0);
  });

  it('reports empty only when nothing at all remains', async () => {
    const aws = new FakeAws();
    expect(aws.isEmpty()).toBe(true);
    await aws.userPool.createUser({ username: 'u1', sendInvite: false });
    expect(aws.isEmpty()).toBe(false);
    await aws.userPool.deleteUser('u1');
    expect(aws.isEmpty()).toBe(true);
  });

  it('injects faults on the Nth call, for a number of times', async () => {
    const aws = new FakeAws();
    aws.faults.inject({ api: 'CreateThing', error: 'throttle', after: 1, times: 2 });
    aws.faults.inject({ api: 'AdminCreateUser', error: 'unavailable' });
    aws.faults.inject({ api: 'DeleteThing', error: new DomainError('AWS_UNAVAILABLE', 'custom') });
    await expect(aws.iot.createThing('a', {})).resolves.toBeDefined();
    await expect(aws.iot.createThing('b', {})).rejects.toMatchObject({ code: 'AWS_THROTTLED', retryAfterSeconds: 1 });
    await expect(aws.iot.createThing('b', {})).rejects.toMatchObject({ code: 'AWS_THROTTLED' });
    await expect(aws.iot.createThing('b', {})).resolves.toBeDefined();
    await expect(aws.userPool.createUser({ username: 'u', sendInvite: false })).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE' });
    await expect(aws.iot.deleteThing('a')).rejects.toThrow('custom');
    // A faulted call reached AWS and did nothing there.
    expect(aws.snapshot().things.map((t) => t.thingName)).toEqual(['a', 'b']);
  });

  it('a lost answer the SDK resends: the first attempt acts, the caller hears the second', async () => {
    const aws = new FakeAws();
    aws.faults.inject({ api: 'AdminCreateUser', error: 'unavailable', lost: true, resent: true });
    await expect(aws.userPool.createUser({ username: 'u', sendInvite: false })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(aws.userPool.snapshot().map((user) => user.username)).toEqual(['u']);
    expect(aws.countCalls('AdminCreateUser')).toBe(2);
    aws.faults.inject({ api: 'CreateKeysAndCertificate', error: 'unavailable', lost: true, resent: true });
    await aws.iot.createKeysAndCertificate();
    expect(aws.snapshot().certificates).toHaveLength(2);
  });

  it('runs hooks before a call: a throw stops it before AWS, a promise pauses it', async () => {
    const aws = new FakeAws();
    const stop = aws.onCall('CreateThing', () => {
      throw new Error('process killed');
    });
    await expect(aws.iot.createThing('dev-1', {})).rejects.toThrow('process killed');
    expect(aws.countCalls('CreateThing')).toBe(0);
    stop();

    let release!: () => void;
    aws.onCall('CreateThing', () => new Promise<void>((resolve) => (release = resolve)));
    const pending = aws.iot.createThing('dev-1', {});
    await Promise.resolve();
    expect(aws.snapshot().things).toEqual([]);
    release();
    await pending;
    expect(aws.snapshot().things).toHaveLength(1);
  });

  it('adds latency to every call', async () => {
    vi.useFakeTimers();
    const aws = new FakeAws({ latencyMs: 50 });
    let done = false;
    const call = aws.iot.listThings().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(49);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await call;
    expect(done).toBe(true);
  });

  it('throttles like AWS when calls exceed the default quota', async () => {
    vi.useFakeTimers();
    const aws = new FakeAws({ enforceQuotas: true });
    const result = await outcomes(createThings(aws, 120));
    expect(result).toEqual({ ok: 100, throttled: 20 });
  });

  it('throttles a Cognito category as one quota: disables, sign-outs and deletes share UserUpdate (25/s)', async () => {
    vi.useFakeTimers();
    const aws = new FakeAws();
    const users = Array.from({ length: 10 }, (_, i) => `bulk-${i}`);
    for (const username of users) await aws.userPool.createUser({ username, sendInvite: false });
    aws.enforceQuotas = true;
    const calls = users.flatMap((username) =>
      [aws.userPool.disableUser(username), aws.userPool.signOutEverywhere(username), aws.userPool.deleteUser(username)].map((call) =>
        call.then(
          () => 'ok',
          (error: DomainError) => error.code,
        ),
      ),
    );
    // Thirty UserUpdate calls in the same instant: one category, one bucket of 25.
    expect(await outcomes(calls)).toEqual({ ok: 25, throttled: 5 });
  });

  it('stays under AWS quotas when calls go through the QuotaLimiter', async () => {
    vi.useFakeTimers();
    const aws = new FakeAws({ enforceQuotas: true, limiter: new QuotaLimiter(loadConfig({})) });
    const calls = createThings(aws, 300);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await outcomes(calls)).toEqual({ ok: 300, throttled: 0 });
  });

  it('catches a limiter configured above the real quota', async () => {
    vi.useFakeTimers();
    const aws = new FakeAws({ enforceQuotas: true, limiter: new QuotaLimiter(loadConfig({ AWS_QUOTAS: 'CreateThing=300' })) });
    const calls = createThings(aws, 200);
    await vi.advanceTimersByTimeAsync(5000);
    expect((await outcomes(calls)).throttled).toBeGreaterThan(0);
  });

  it('provides Nest overrides and a matching environment', () => {
    const aws = new FakeAws();
    expect(aws.providers().map((provider) => (provider as { provide: { name: string } }).provide.name)).toEqual([
      'IotPort',
      'IotConnectionsPort',
      'UserPoolPort',
      'IdentityPoolPort',
    ]);
    const config = loadConfig(aws.env());
    expect(config.cognito.userPoolId).toBe(aws.userPoolId);
    expect(config.aws.accountId).toBe('123456789012');
  });
});
