import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/app-config.js';
import { pairCountLimit, pairDelaySeconds, signInWait, signInWaits, type SignInState } from '../../../src/sessions/sign-in-policy.js';
import { subjectsOf } from '../../../src/sessions/sign-in-limiter.js';

const limits = loadConfig({
  SIGNIN_FREE_FAILURES_PER_PAIR: '3',
  SIGNIN_DELAY_BASE_SECONDS: '2',
  SIGNIN_DELAY_MAX_SECONDS: '60',
  SIGNIN_MAX_FAILURES_PER_USER: '50',
  SIGNIN_MAX_FAILURES_PER_ADDRESS: '20',
  SIGNIN_WINDOW_SECONDS: '900',
}).signIn;
const NOW = 1_800_000_000_000;
const none = { failures: 0 };
const state = (overrides: Partial<SignInState>): SignInState => ({ now: NOW, pair: none, user: none, address: none, knownPair: false, ...overrides });
const ago = (seconds: number) => NOW - seconds * 1000;

describe('sign-in policy', () => {
  it('lets attempts through below every limit', () => {
    expect(signInWait(state({ pair: { failures: 2, newestAt: ago(0), oldestAt: ago(5) } }), limits)).toBeUndefined();
  });

  it.each([
    [3, 2],
    [4, 4],
    [5, 8],
    [8, 60],
    [40, 60],
  ])('after %i failures of a pair, the next attempt waits %i s after the newest one', (failures, delay) => {
    expect(pairDelaySeconds(failures, limits)).toBe(delay);
    expect(signInWait(state({ pair: { failures, newestAt: ago(0), oldestAt: ago(100) } }), limits)).toBe(delay);
    expect(signInWait(state({ pair: { failures, newestAt: ago(delay), oldestAt: ago(100) } }), limits)).toBeUndefined();
  });

  it('names every limit that holds an attempt back, for the refusal metric', () => {
    const full = { failures: 50, newestAt: ago(0), oldestAt: ago(100) };
    expect(
      signInWaits(state({ pair: { failures: 3, newestAt: ago(0), oldestAt: ago(5) }, user: full, address: full }), limits).map((wait) => wait.scope),
    ).toEqual(['pair', 'address', 'user']);
    expect(signInWaits(state({ user: full, address: full, knownPair: true }), limits)).toEqual([]);
    expect(signInWaits(state({ address: full }), limits).map((wait) => wait.scope)).toEqual(['address']);
  });

  it("counts enough of a pair's failures to reach the largest delay", () => {
    expect(pairDelaySeconds(pairCountLimit(limits), limits)).toBe(60);
  });

  it('refuses an unknown pair once its address or username reached its ceiling, until the oldest counted failure leaves the window', () => {
    expect(signInWait(state({ address: { failures: 20, newestAt: ago(1), oldestAt: ago(600) } }), limits)).toBe(300);
    expect(signInWait(state({ user: { failures: 50, newestAt: ago(1), oldestAt: ago(899) } }), limits)).toBe(1);
  });

  it('spares a pair that signed in before from both ceilings, but not from its own delays', () => {
    const attacked = {
      address: { failures: 500, newestAt: ago(1), oldestAt: ago(10) },
      user: { failures: 500, newestAt: ago(1), oldestAt: ago(10) },
      knownPair: true,
    };
    expect(signInWait(state(attacked), limits)).toBeUndefined();
    expect(signInWait(state({ ...attacked, pair: { failures: 3, newestAt: ago(1), oldestAt: ago(3) } }), limits)).toBe(1);
  });

  it('counts a username case-insensitively and keeps the pair only as a hash', () => {
    const subjects = subjectsOf('Alice', '192.0.2.1');
    expect(subjects).toEqual(subjectsOf('alice', '192.0.2.1'));
    expect(subjects.user).toBe('user:alice');
    expect(subjects.address).toBe('address:192.0.2.1');
    expect(subjects.pair).toMatch(/^pair:[0-9a-f]{64}$/);
    expect(subjects.pair).not.toBe(subjectsOf('alice', '192.0.2.2').pair);
  });
});
