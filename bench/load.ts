import autocannon from 'autocannon';

export interface RequestShape {
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Run for this long, or until `amount` responses arrived. */
  seconds?: number;
  amount?: number;
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Varies each request (another user's token, another device name); n counts from 0 across connections. */
  vary?: (n: number) => RequestShape;
  /** Sees the status of every response as it arrives. */
  onStatus?: (status: number) => void;
}

export interface LoadResult {
  /** Responses received. */
  requests: number;
  /** Requests sent, including those still unanswered when the run ended. */
  sent: number;
  seconds: number;
  rps: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Non-2xx responses by status, and by the `code` of the error body. */
  non2xx: number;
  statuses: Record<string, number>;
  errorCodes: Record<string, number>;
  /** Connection errors, timeouts included: requests that got no HTTP answer at all. */
  socketErrors: number;
}

/** One autocannon run against a server on 127.0.0.1. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const errorCodes: Record<string, number> = {};
  let n = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds ?? 10,
    amount: options.amount,
    timeout: 30,
    requests: [
      {
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...options.headers, ...(options.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        // autocannon calls setupRequest whenever the key is present, even when undefined.
        ...(options.vary
          ? {
              setupRequest: (request: autocannon.Request) => {
                const shape = options.vary!(n++);
                return { ...request, ...shape, headers: { ...request.headers, ...shape.headers } };
              },
            }
          : {}),
        onResponse: (status, body) => {
          options.onStatus?.(status);
          if (status < 300) return;
          const code = errorCode(body) ?? `HTTP_${status}`;
          errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        },
      },
    ],
  });
  const requests = result.requests.total;
  return {
    requests,
    sent: result.requests.sent,
    seconds: result.duration,
    rps: requests / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0])),
    errorCodes,
    socketErrors: result.errors,
  };
}

function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Sends every request at once (one connection each) and waits for all answers: a storm, not a steady load. */
export async function burst(url: string, method: 'GET' | 'POST', requests: RequestShape[]): Promise<LoadResult> {
  const errorCodes: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let socketErrors = 0;
  const started = performance.now();
  await Promise.all(
    requests.map(async (shape) => {
      const sent = performance.now();
      try {
        const response = await fetch(url + (shape.path ?? '/'), {
          method,
          headers: { ...shape.headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          body: shape.body,
          signal: AbortSignal.timeout(60_000),
        });
        const body = await response.text();
        latencies.push(performance.now() - sent);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status >= 300) {
          const code = errorCode(body) ?? `HTTP_${response.status}`;
          errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        }
      } catch {
        socketErrors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    sent: requests.length,
    seconds,
    rps: latencies.length / seconds,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? 0 },
    non2xx: Object.entries(statuses).reduce((sum, [status, count]) => sum + (Number(status) >= 300 ? count : 0), 0),
    statuses,
    errorCodes,
    socketErrors,
  };
}
