import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import closeWithGrace from 'close-with-grace';
import type { Config } from '@concert/config';

/** Bodies of this API are a few fields; anything bigger is a mistake or an attack. */
export const BODY_LIMIT_BYTES = 16 * 1024;
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** How a request is logged: the default fields, with a token given in the query redacted. */
export function serializeRequest(request: {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: request.method,
    url: request.url.replace(/([?&]access_token=)[^&]*/g, '$1[Redacted]'),
    hostname: request.hostname,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** pino options shared by every process: service name, level, secrets redacted, optional pretty output. */
function loggerOptions(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>, serviceName: string) {
  return {
    name: serviceName,
    level: config.LOG_LEVEL,
    redact: ['req.headers.authorization', 'req.headers["user-token"]', 'req.headers["x-admin-key"]'],
    // Event streams take the token in the query (browsers' EventSource): never log it.
    serializers: { req: serializeRequest },
    ...(config.LOG_PRETTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/** `TRUST_PROXY`: "true", "false", a hop count, or addresses/CIDRs of the trusted proxies. */
function trustProxyOption(value: string): boolean | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  // A hop count: Fastify (proxy-addr) takes a number, though its types only list the others.
  if (/^\d+$/.test(value)) return Number(value) as unknown as boolean;
  return value.split(',').map((entry) => entry.trim());
}

/** Fastify options of every service: request ids, strict validation, small bodies, clean closing. */
function serverOptions(config: Config, serviceName: string): FastifyServerOptions {
  return {
    logger: loggerOptions(config, serviceName),
    // Keep a caller's request id (a load balancer's or client's) so logs join up across services.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && CLIENT_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // Only behind a proxy that sets X-Forwarded-For is the client's address taken from it.
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // No type coercion (`{"amount": "5"}` is a wrong type, 400), and unknown properties are refused
    // rather than silently dropped (which also keeps `oneOf` bodies exact).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    pluginTimeout: 30_000,
  };
}

/** A Fastify instance with the shared options and the TypeBox type provider. */
export function createServer(config: Config, serviceName: string, overrides: FastifyServerOptions = {}) {
  const app = Fastify({ ...serverOptions(config, serviceName), ...overrides }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Nothing a cache should keep unless a route says so: answers carry tokens and personal state.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  return app;
}

/**
 * Listens, and on SIGINT/SIGTERM stops accepting, lets in-flight requests finish (at most
 * `graceMs`), then runs the onClose hooks that close Redis and PostgreSQL.
 */
export async function listen(app: FastifyInstance, opts: { port: number; host: string; graceMs?: number }) {
  closeWithGrace({ delay: opts.graceMs ?? 10_000 }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'closing after an uncaught error');
    else app.log.info({ signal }, 'closing');
    await app.close();
  });
  await app.listen({ port: opts.port, host: opts.host });
}
