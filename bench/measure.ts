import autocannon from 'autocannon';

export type Figures = {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  seconds: number;
  /** Answers by status code (autocannon's count). */
  statusCodes?: Record<string, number>;
};

type Request = { method?: string; path: string; headers?: Record<string, string>; body?: string };

/**
 * Drives `url` with autocannon; `next(i)` gives the i-th request (unique users, rotating
 * tokens...). A fixed-count run (`amount`) is timed from its first request to its last response:
 * autocannon itself only finishes on its next one-second tick, which rounded a 0.8 s race up to 1 s.
 */
export async function load(opts: {
  url: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  next: (i: number) => Request;
}): Promise<Figures> {
  let i = 0;
  let firstRequestAt: number | undefined;
  let lastResponseAt = 0;
  const started = performance.now();
  const options: autocannon.Options = {
    url: opts.url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.durationSeconds ?? 10 }),
    requests: [
      {
        setupRequest: (request) => {
          firstRequestAt ??= performance.now();
          const next = opts.next(i++);
          return {
            ...request,
            method: (next.method ?? 'GET') as 'GET',
            path: next.path,
            headers: { ...request.headers, ...next.headers },
            body: next.body,
          };
        },
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
    instance.on('response', () => {
      lastResponseAt = performance.now();
    });
  });
  const seconds =
    opts.amount && firstRequestAt !== undefined && lastResponseAt > firstRequestAt
      ? (lastResponseAt - firstRequestAt) / 1000
      : (performance.now() - started) / 1000;
  const total = result.requests.total;
  return {
    rps: opts.amount ? total / seconds : result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total,
    seconds,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count]),
    ),
  };
}

/** Runs `operation` from `concurrency` loops for `seconds` (or until `amount` ops); ops/s and latency percentiles. */
export async function loop(opts: {
  concurrency: number;
  seconds?: number;
  amount?: number;
  operation: (i: number) => Promise<unknown>;
}): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + (opts.seconds ?? 10) * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (opts.amount ? i >= opts.amount : performance.now() >= deadline) return;
        const t0 = performance.now();
        try {
          await opts.operation(i);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2));
  return {
    rps: latencies.length / seconds,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    errors,
    non2xx: 0,
    total: latencies.length,
    seconds,
  };
}
