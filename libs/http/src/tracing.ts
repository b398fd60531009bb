/**
 * Optional OpenTelemetry tracing, loaded before the app with `node --import @concert/http/tracing
 * apps/<app>/dist/main.js` (the image does this for every process). Does nothing unless
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set; then HTTP (in and out), PostgreSQL and Redis calls become
 * spans sent to that OTLP/HTTP endpoint, and a caller's `traceparent` continues its trace.
 */
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

if (endpoint) {
  // ESM imports are only patched through a loader hook registered before the app is loaded.
  const { register } = await import('node:module');
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('./tracing/start.js');
  startTracing({
    serviceName: process.env.OTEL_SERVICE_NAME ?? /apps\/([^/]+)\//.exec(process.argv[1] ?? '')?.[1] ?? 'concert',
  });
}

export {};
