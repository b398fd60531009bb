import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { trace } from '@opentelemetry/api';
import type { Config } from '@concert/config';

/** A URL as it may be logged: a token given in the query (event streams) is redacted. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1[Redacted]');
}

/** How a request is logged: pino's usual fields, the URL redacted. */
export function serializeRequest(request: {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    hostname: request.hostname,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** W3C Trace Context: version-traceId-parentId-flags, lower-case hex; all-zero ids are invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The trace id of a valid `traceparent` header, else undefined. */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId] = match;
  if (version === 'ff' || /^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  // Version 00 has exactly four fields; later versions may append more.
  if (version === '00' && match[5]) return undefined;
  return traceId;
}

/**
 * The trace a request belongs to: the caller's `traceparent`, else the span OpenTelemetry
 * opened for it (when tracing is on), else none.
 */
function requestTraceId(raw: IncomingMessage): string | undefined {
  const given = traceIdOf(raw.headers.traceparent);
  if (given) return given;
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) ? span.traceId : undefined;
}

/**
 * One log line per answered request (method, URL, route, status, milliseconds), in place of
 * Fastify's two ("incoming request" and "request completed") and its "Route not found".
 */
class OneLinePerRequest extends LogController {
  override incomingRequest() {
    // nothing: the request is logged once, when it completes
  }

  override routeNotFound() {
    // nothing: a 404 is logged once, when it completes
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(request)) return;
    const ms = reply.elapsedTime;
    const url = redactUrl(request.url);
    const fields = {
      method: request.method,
      url,
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      ms: Math.round(ms * 10) / 10,
      ...(error ? { err: { message: error.message } } : {}),
    };
    reply.log.info(fields, `${request.method} ${url} ${reply.statusCode} ${ms.toFixed(1)}ms`);
  }
}

/**
 * Fastify's logging options shared by every process: pino with the service name, level, secrets
 * redacted, and one line per request. Every request's log lines carry its `reqId` and, when
 * known, its W3C `traceId`. Pretty mode prints each entry on one line.
 */
export function loggingOptions(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>,
  serviceName: string,
): Pick<FastifyServerOptions, 'logger' | 'logController' | 'childLoggerFactory'> {
  return {
    logger: {
      name: serviceName,
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers["user-token"]', 'req.headers["x-admin-key"]'],
      // Event streams take the token in the query (browsers' EventSource): never log it.
      serializers: { req: serializeRequest },
      ...(config.LOG_PRETTY
        ? {
            transport: {
              target: 'pino-pretty',
              options: {
                translateTime: 'HH:MM:ss.l',
                ignore: 'pid,hostname,name',
                singleLine: true,
                messageFormat: '{name}: {msg}',
              },
            },
          }
        : {}),
    },
    logController: new OneLinePerRequest(),
    childLoggerFactory(logger, bindings, opts, raw) {
      const traceId = requestTraceId(raw as IncomingMessage);
      return logger.child(traceId ? { ...bindings, traceId } : bindings, opts);
    },
  };
}
