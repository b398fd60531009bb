import autocannon from 'autocannon';
import type { Figures } from '../measure.js';

type Request = { method?: string; path: string; headers?: Record<string, string>; body?: string };

/**
 * A fixed number of requests with autocannon, timed from the first request to the last response.
 * (autocannon itself ends a fixed-count run only on its next one-second tick, which rounds a race
 * that settles in 0.6 s up to 1 s; the booking scenarios compare such runs with each other and with
 * precisely timed baselines, so they keep their own clock.) Rate and latencies as `load` gives them.
 */
export async function loadCounted(opts: {
  url: string;
  connections: number;
  amount: number;
  next: (i: number) => Request;
}): Promise<Figures> {
  let i = 0;
  let lastResponse = 0;
  const started = performance.now();
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    amount: opts.amount,
    requests: [
      {
        setupRequest: (request) => {
          const next = opts.next(i++);
          return {
            ...request,
            method: (next.method ?? 'GET') as 'GET',
            path: next.path,
            headers: { ...request.headers, ...next.headers },
            body: next.body,
          };
        },
        onResponse: () => {
          lastResponse = performance.now();
        },
      },
    ],
  });
  const seconds = ((lastResponse || performance.now()) - started) / 1000;
  const total = result.requests.total;
  return {
    rps: total / seconds,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total,
    seconds,
  };
}
