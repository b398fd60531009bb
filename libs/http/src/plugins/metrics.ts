import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorCodeOf } from '../metrics/operations.js';
import type { Readiness } from './health.js';

/** Prometheus text from an exporter of its own (BullMQ's), appended to `/metrics`. */
export type MetricsSource = { name: string; collect: () => Promise<string> };

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry (not prom-client's global one, so apps can share a process in tests). */
    metrics: Registry;
    /** Appends another exporter's text to `/metrics`; a source that fails or is slow is left out of that scrape. */
    addMetricsSource(source: MetricsSource): void;
  }
}

/** Longest a scrape waits for an extra source (Prometheus' own timeout is ~10 s by default). */
const SOURCE_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/metrics` in Prometheus text: default process metrics, HTTP latency by route, errors by
 * contract `code`, and readiness; every metric carries the `service` label.
 */
async function metrics(app: FastifyInstance, opts: { serviceName: string }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.serviceName });
  collectDefaultMetrics({ register: registry });
  const sources: MetricsSource[] = [];

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'http_errors_total',
    help: "Error answers (4xx and 5xx) by route and the contract's error code",
    labelNames: ['method', 'route', 'status_code', 'code'] as const,
    registers: [registry],
  });
  // Readiness as a metric, so an alert sees what an orchestrator's probe sees (the checks of
  // /health/ready, run once per scrape: one PING and one SELECT 1, shared by both gauges).
  let readinessInFlight: Promise<Readiness> | undefined;
  const readiness = () =>
    (readinessInFlight ??= app.checkReadiness().finally(() => setImmediate(() => (readinessInFlight = undefined))));
  new Gauge({
    name: 'service_ready',
    help: '1 when /health/ready would answer 200 (every critical dependency reachable), else 0',
    registers: [registry],
    async collect() {
      if (!app.hasDecorator('checkReadiness')) return;
      const { ready } = await readiness();
      this.set(ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'dependency_up',
    help: 'Whether a dependency answered its readiness check (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      if (!app.hasDecorator('checkReadiness')) return;
      const { checks } = await readiness();
      for (const [dependency, state] of Object.entries(checks)) this.set({ dependency }, state === 'up' ? 1 : 0);
    },
  });

  app.decorate('metrics', registry);
  app.decorate('addMetricsSource', (source: MetricsSource) => {
    sources.push(source);
  });

  // Error codes are read from the body the error handler wrote (small, and only on errors).
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) {
      errors.inc({
        method: request.method,
        route: request.routeOptions.url ?? 'not_found',
        status_code: String(reply.statusCode),
        code: errorCodeOf(payload) ?? `HTTP_${reply.statusCode}`,
      });
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: ids in paths would explode the label set.
    const route = request.routeOptions.url ?? 'not_found';
    duration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    const texts = await Promise.all([
      registry.metrics(),
      ...sources.map(async (source) => {
        try {
          return await withTimeout(source.collect(), SOURCE_TIMEOUT_MS);
        } catch (err) {
          request.log.warn({ err: { message: (err as Error).message }, source: source.name }, 'metrics source failed');
          return '';
        }
      }),
    ]);
    const body = texts
      .filter(Boolean)
      .map((text) => (text.endsWith('\n') ? text : `${text}\n`))
      .join('');
    return reply.type(registry.contentType).send(body);
  });
}

export const metricsPlugin = fp(metrics, { name: 'metrics', fastify: '5.x' });
