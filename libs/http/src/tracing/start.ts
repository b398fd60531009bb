import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Probes and scrapes would be most of the spans and tell nothing. */
const UNTRACED = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Starts a tracer provider exporting to OTLP/HTTP (the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT
 * and the other standard OTEL_EXPORTER_OTLP_* variables) with W3C trace context propagation.
 */
export function startTracing(opts: { serviceName: string }) {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED.test(request.url ?? '') }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  // Flush what is buffered when the process stops (the apps close gracefully on SIGTERM).
  process.once('beforeExit', () => void provider.shutdown());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void provider.forceFlush().catch(() => {});
    });
  }
  return provider;
}
