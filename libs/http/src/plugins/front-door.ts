import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { Redis, Cluster } from 'ioredis';
import { HttpErrors } from '../errors.js';
import { sendError } from './error-handler.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * An onRequest/preHandler hook allowing `perMinute` requests per minute for each key
     * `keyOf(request)` gives, counted in Redis (shared by every instance); `429 RATE_LIMITED` with
     * Retry-After beyond. `perMinute` 0 switches the limit off.
     */
    limitRate(name: string, perMinute: number, keyOf: (request: FastifyRequest) => string): onRequestHookHandler;
  }
}

export type FrontDoorOptions = {
  /** `CORS_ORIGINS`: comma-separated origins, or `*`; undefined = no cross-origin access. */
  corsOrigins?: string;
  /** Where rate-limit counters live (every instance shares them); undefined = per process. */
  redis?: Redis | Cluster;
  redisPrefix: string;
  /** `MAX_EVENT_LOOP_DELAY_MS`: shed load with 503 past this event-loop lag; 0 = never. */
  maxEventLoopDelayMs: number;
};

/** Headers browsers may send, and the ones scripts may read from our answers. */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'x-admin-key',
  'user-token',
  'x-request-id',
];
const EXPOSED_HEADERS = ['location', 'retry-after', 'idempotent-replayed', 'x-request-id'];

/**
 * What stands between the public and the routes: CORS for browsers on the configured origins,
 * rate limits counted in Redis, and load shedding when the event loop falls behind.
 */
async function frontDoor(app: FastifyInstance, opts: FrontDoorOptions) {
  if (opts.corsOrigins) {
    const origins = opts.corsOrigins === '*' ? '*' : opts.corsOrigins.split(',').map((origin) => origin.trim());
    await app.register(cors, {
      origin: origins,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
      strictPreflight: false,
    });
  }

  await app.register(rateLimit, {
    global: false,
    redis: opts.redis,
    nameSpace: `${opts.redisPrefix}:rate:`,
    // Redis down: let the request through; it then answers 503 itself if it needs Redis.
    skipOnError: true,
  });
  const noLimit: onRequestHookHandler = async () => {};
  // createRateLimit, not rateLimit: the latter's hooks run once per request at most, and a route
  // may count a request against several limits (its address and its user).
  app.decorate('limitRate', (name: string, perMinute: number, keyOf: (request: FastifyRequest) => string) => {
    if (perMinute <= 0) return noLimit;
    const check = app.createRateLimit({
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `${name}:${keyOf(request)}`,
    });
    const hook: onRequestHookHandler = async (request, reply) => {
      const limit = await check(request);
      if (limit.isAllowed || !limit.isExceeded) return;
      reply.header('retry-after', limit.ttlInSeconds);
      throw new HttpErrors.RATE_LIMITED(limit.ttlInSeconds);
    };
    return hook;
  });

  if (opts.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      retryAfter: 1,
      exposeStatusRoute: false,
      pressureHandler: (request, reply) => {
        // Liveness must not fail under load (an orchestrator would restart a busy process).
        if (request.url === '/health/live') return;
        reply.header('retry-after', 1);
        const error = new HttpErrors.SERVICE_UNAVAILABLE();
        void sendError(reply, 503, error.code, error.message);
      },
    });
  }
}

export const frontDoorPlugin = fp(frontDoor, { name: 'front-door', fastify: '5.x' });

// Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
const digest = (value: string) => createHash('sha256').update(value).digest();

/** onRequest hook: `401 ADMIN_KEY_INVALID` unless the `X-Admin-Key` header is the configured key. */
export function adminKeyGuard(adminApiKey: string): onRequestHookHandler {
  const expected = digest(adminApiKey);
  return async (request) => {
    const given = request.headers['x-admin-key'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      throw new HttpErrors.ADMIN_KEY_INVALID();
    }
  };
}
