import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import closeWithGrace from 'close-with-grace';
import type { Config } from '@concert/config';
import { HttpErrors } from './errors.js';
import { loggingOptions } from './logging.js';
import { answerRouterError, sendError } from './plugins/error-handler.js';

/** Bodies of this API are a few fields; anything bigger is a mistake or an attack. */
export const BODY_LIMIT_BYTES = 16 * 1024;
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `TRUST_PROXY`: "true", "false", a hop count, or addresses/CIDRs of the trusted proxies. */
function trustProxyOption(value: string): boolean | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  // A hop count: Fastify (proxy-addr) takes a number, though its types only list the others.
  if (/^\d+$/.test(value)) return Number(value) as unknown as boolean;
  return value.split(',').map((entry) => entry.trim());
}

/** What Node's HTTP parser refused, as the contract's error (code, status, message). */
function protocolErrorOf(error: Error & { code?: string }) {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new HttpErrors.HEADERS_TOO_LARGE();
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new HttpErrors.REQUEST_TIMEOUT();
  // llhttp's reason ("Duplicate Content-Length", "Invalid method encountered", ...), without its code.
  const reason = error.message.replace(/^Parse Error:\s*/, '') || 'unreadable request';
  return new HttpErrors.BAD_REQUEST(reason);
}

/**
 * Malformed HTTP (duplicate Content-Length, Transfer-Encoding with Content-Length, oversized
 * headers, a bad request line) never reaches Fastify's routing or error handler: Node's parser
 * refuses it on the socket. Answer it in the contract's JSON shape with a stable code, then close
 * the connection (its byte stream can no longer be trusted).
 */
function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket) {
  // A reset connection (or one already gone) has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { statusCode = 400, code, message } = protocolErrorOf(error);
  this.log.info({ code, parserCode: error.code, statusCode }, 'malformed HTTP request refused');
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ statusCode, code, error: STATUS_CODES[statusCode], message });
  const head =
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n';
  // Flushed, then closed.
  socket.end(head + body, () => socket.destroy());
}

/** Fastify options of every service: request ids, strict validation, small bodies, clean closing. */
function serverOptions(config: Config, serviceName: string): FastifyServerOptions {
  return {
    ...loggingOptions(config, serviceName),
    // Keep a caller's request id (a load balancer's or client's) so logs join up across services.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && CLIENT_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // No path id is too long for the router (which would answer 414 in Fastify's own shape): any
    // that fits in a request reaches its route, which answers an id that names nothing with its 404.
    routerOptions: { maxParamLength: maxHeaderSize },
    frameworkErrors: answerRouterError,
    // Only behind a proxy that sets X-Forwarded-For is the client's address taken from it.
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // No type coercion (`{"amount": "5"}` is a wrong type, 400), and unknown properties are refused
    // rather than silently dropped (which also keeps `oneOf` bodies exact).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    clientErrorHandler,
    // Fastify's own 503 while closing has neither `code` nor Retry-After: createServer answers it.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    pluginTimeout: 30_000,
  };
}

/** A Fastify instance with the shared options and the TypeBox type provider. */
export function createServer(config: Config, serviceName: string, overrides: FastifyServerOptions = {}) {
  const app = Fastify({ ...serverOptions(config, serviceName), ...overrides }).withTypeProvider<TypeBoxTypeProvider>();
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // First of all hooks: a request that arrives while the process stops (on a connection that was
  // busy when closing began) touches nothing and is told to go elsewhere, and the connection closes.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (!closing) return;
    const refused = new HttpErrors.SERVICE_UNAVAILABLE();
    return sendError(reply.header('connection', 'close'), 503, refused.code, refused.message);
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
