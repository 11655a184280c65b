import { setTimeout as sleep } from 'node:timers/promises';
import { load } from './load.js';
import { CONNECTIONS, scrapeEverySecond, type BenchContext } from './scenarios.js';
import type { BenchUser } from './seed.js';

/** RSS may grow this much from the first third of the soak to the last and still count as flat. */
export const FLAT_GROWTH = 0.1;
const SIGN_IN_CONNECTIONS = 5;

export interface SoakResult {
  seconds: number;
  requests: { vend: number; signIn: number; errors: number };
  /** RSS in MB, sampled every second. */
  rssMB: { firstThirdMean: number; lastThirdMean: number; max: number; samples: number[] };
  growth: number;
  flat: boolean;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/**
 * Steady traffic for `seconds`: bearer vends at most connections, password sign-ins beside them,
 * /metrics scraped every second. RSS is flat when its mean over the last third of the run is
 * within FLAT_GROWTH of its mean over the first third.
 */
export async function soak(context: BenchContext, users: BenchUser[], seconds: number): Promise<SoakResult> {
  const samples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await context.service.call<number>('rssNow'));
      await sleep(1000);
    }
  })();
  const scraper = scrapeEverySecond(context.service.url);
  const [vend, signIn] = await Promise.all([
    load({
      url: context.service.url,
      path: '/v1/sessions/credentials',
      connections: CONNECTIONS - SIGN_IN_CONNECTIONS,
      seconds,
      vary: (n) => ({ headers: { authorization: `Bearer ${users[n % users.length]!.idToken}` } }),
    }),
    load({
      url: context.service.url,
      method: 'POST',
      path: '/v1/sessions',
      connections: SIGN_IN_CONNECTIONS,
      seconds,
      vary: (n) => {
        const user = users[n % users.length]!;
        return { body: JSON.stringify({ username: user.username, password: user.password }) };
      },
    }),
  ]);
  sampling = false;
  await sampler;
  await scraper.stop();
  const third = Math.max(1, Math.floor(samples.length / 3));
  const first = mean(samples.slice(0, third));
  const last = mean(samples.slice(-third));
  const growth = (last - first) / first;
  return {
    seconds,
    requests: { vend: vend.requests, signIn: signIn.requests, errors: vend.non2xx + vend.socketErrors + signIn.non2xx + signIn.socketErrors },
    rssMB: { firstThirdMean: mb(first), lastThirdMean: mb(last), max: mb(Math.max(...samples)), samples: samples.map(mb) },
    growth: Math.round(growth * 1000) / 1000,
    flat: growth < FLAT_GROWTH,
  };
}
