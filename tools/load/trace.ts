import { randomBytes } from 'node:crypto';

/**
 * A `fetch` that sends a W3C `traceparent` with every request: one trace per fan (its whole
 * journey), a new parent span id per request, sampled. The services log the trace id, and pass
 * it on to OpenTelemetry when tracing is on.
 */
export function tracingFetch(traceId = randomBytes(16).toString('hex')): { fetch: typeof fetch; traceId: string } {
  const traced: typeof fetch = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    return fetch(input, { ...init, headers });
  };
  return { fetch: traced, traceId };
}
