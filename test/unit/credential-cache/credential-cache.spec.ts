import { describe, expect, it } from 'vitest';
import {
  CredentialCache,
  EXPIRY_MARGIN_MS,
  type CredentialCacheOptions,
  type VendedCredentials,
} from '../../../src/credential-cache/credential-cache.js';

const HOUR = 60 * 60 * 1000;
const alice = { username: 'alice', sub: 'sub-alice' };

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** A load that vends numbered credentials expiring `lifetimeMs` after the clock's now, counting its calls. */
function vendor(clock: { now(): number }, lifetimeMs = HOUR) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    load: async (): Promise<VendedCredentials> => {
      calls++;
      return {
        identityId: 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001',
        credentials: {
          accessKeyId: `AKIA${calls}`,
          secretAccessKey: 'secret',
          sessionToken: 'token',
          expiration: new Date(clock.now() + lifetimeMs),
        },
      };
    },
  };
}

function cacheWith(clock: { now(): number }, options: Partial<CredentialCacheOptions> = {}) {
  return new CredentialCache({ enabled: true, maxEntries: 100, clock: clock.now, ...options });
}

/** A promise the test resolves later. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('CredentialCache', () => {
  it('serves a user its cached credentials without calling the vendor again', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock);
    const first = await cache.get(alice, source.load);
    const second = await cache.get(alice, source.load);
    expect(second).toBe(first);
    expect(source.calls).toBe(1);
  });

  it('reuses credentials until five minutes before they expire, then vends new ones', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock);
    const first = await cache.get(alice, source.load);
    clock.advance(HOUR - EXPIRY_MARGIN_MS - 1);
    expect(await cache.get(alice, source.load)).toBe(first);
    clock.advance(1);
    const renewed = await cache.get(alice, source.load);
    expect(renewed.credentials.accessKeyId).not.toBe(first.credentials.accessKeyId);
    expect(source.calls).toBe(2);
  });

  it('does not keep credentials that are already inside the expiry margin', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock, EXPIRY_MARGIN_MS);
    await cache.get(alice, source.load);
    await cache.get(alice, source.load);
    expect(source.calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries users, dropping the least recently used', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock, { maxEntries: 2 });
    const source = vendor(clock);
    const user = (name: string) => ({ username: name, sub: `sub-${name}` });
    await cache.get(user('a'), source.load);
    await cache.get(user('b'), source.load);
    await cache.get(user('a'), source.load); // a is now the most recently used
    await cache.get(user('c'), source.load); // evicts b
    expect(cache.size).toBe(2);
    expect(source.calls).toBe(3);
    await cache.get(user('a'), source.load);
    await cache.get(user('c'), source.load);
    expect(source.calls).toBe(3);
    await cache.get(user('b'), source.load);
    expect(source.calls).toBe(4);
  });

  it('shares one load among concurrent misses for one user', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock);
    const gate = deferred<void>();
    const slowLoad = async () => {
      await gate.promise;
      return source.load();
    };
    const pending = Array.from({ length: 5 }, () => cache.get(alice, slowLoad));
    gate.resolve();
    const results = await Promise.all(pending);
    expect(source.calls).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('hands a failed load to every waiter and keeps nothing', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const failing = async (): Promise<VendedCredentials> => {
      throw new Error('AWS_UNAVAILABLE');
    };
    const results = await Promise.allSettled([cache.get(alice, failing), cache.get(alice, failing)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    const source = vendor(clock);
    await cache.get(alice, source.load);
    expect(source.calls).toBe(1);
  });

  it('forgets a user: the next request loads again', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock);
    await cache.get(alice, source.load);
    cache.forget('alice');
    await cache.get(alice, source.load);
    expect(source.calls).toBe(2);
  });

  it('does not keep what a load returns when the user is forgotten while it runs (disabled meanwhile)', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock);
    const gate = deferred<void>();
    const pending = cache.get(alice, async () => {
      await gate.promise;
      return source.load();
    });
    cache.forget('alice');
    gate.resolve();
    await pending;
    expect(cache.size).toBe(0);
    await cache.get(alice, source.load);
    expect(source.calls).toBe(2);
  });

  it('never serves one Cognito user the credentials cached for another with the same username', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock);
    const source = vendor(clock);
    const first = await cache.get(alice, source.load);
    const recreated = await cache.get({ username: 'alice', sub: 'sub-new-alice' }, source.load);
    expect(recreated).not.toBe(first);
    expect(source.calls).toBe(2);
  });

  it('when disabled, loads every time and keeps nothing', async () => {
    const clock = manualClock();
    const cache = cacheWith(clock, { enabled: false });
    const source = vendor(clock);
    await Promise.all([cache.get(alice, source.load), cache.get(alice, source.load)]);
    await cache.get(alice, source.load);
    expect(source.calls).toBe(3);
    expect(cache.size).toBe(0);
  });
});

describe('CredentialCache and tokens issued before the last disable', () => {
  const disabledAt = new Date(Date.UTC(2026, 0, 1, 12));
  const before = disabledAt.getTime() / 1000 - 1;
  const after = disabledAt.getTime() / 1000;

  function vendedAfterDisable(clock: { now(): number }): VendedCredentials {
    return {
      identityId: 'eu-west-1:0f0f0f0f-0000-4000-8000-000000000001',
      credentials: { accessKeyId: 'AKIANEW', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(clock.now() + HOUR) },
      tokensValidAfter: disabledAt,
    };
  }

  it('refuses the cached entry to an older token and serves it to a newer one', async () => {
    const clock = manualClock(disabledAt.getTime());
    const cache = cacheWith(clock);
    await cache.get({ ...alice, issuedAt: after }, async () => vendedAfterDisable(clock));
    let loads = 0;
    const reload = async () => (loads++, vendedAfterDisable(clock));
    await expect(cache.get({ ...alice, issuedAt: before }, reload)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'SIGN_IN_AGAIN' },
    });
    expect((await cache.get({ ...alice, issuedAt: after }, reload)).credentials.accessKeyId).toBe('AKIANEW');
    expect(loads).toBe(0);
  });

  it('refuses an older token that joins a load a newer token started', async () => {
    const clock = manualClock(disabledAt.getTime());
    const cache = cacheWith(clock);
    const gate = deferred<VendedCredentials>();
    const newer = cache.get({ ...alice, issuedAt: after }, () => gate.promise);
    const older = cache.get({ ...alice, issuedAt: before }, () => gate.promise);
    gate.resolve(vendedAfterDisable(clock));
    await expect(newer).resolves.toMatchObject({ tokensValidAfter: disabledAt });
    await expect(older).rejects.toMatchObject({ details: { reason: 'SIGN_IN_AGAIN' } });
  });

  it('refuses it with the cache switched off too', async () => {
    const clock = manualClock(disabledAt.getTime());
    const cache = cacheWith(clock, { enabled: false });
    await expect(cache.get({ ...alice, issuedAt: before }, async () => vendedAfterDisable(clock))).rejects.toMatchObject({
      details: { reason: 'SIGN_IN_AGAIN' },
    });
  });
});
