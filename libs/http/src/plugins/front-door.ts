import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { Redis, Cluster } from 'ioredis';
import { HttpErrors } from '../errors.js';
import { errorPayload } from './error-handler.js';

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
 * How long a rate-limit check waits for Redis before letting the request through uncounted. A
 * hung Redis (connections open, nothing answered) would otherwise hold every limited request for
 * the whole command timeout, once per limit, before the route itself finds Redis down: the ~1 s
 * in which an outage must answer 503 would be gone before the route ran. A healthy Redis answers
 * in well under a millisecond.
 */
const RATE_LIMIT_CHECK_BUDGET_MS = 200;
/**
 * After a check failed or ran out of time, limits are skipped for this long, so that no request
 * waits on a Redis known to be down; the first request after it tries Redis again.
 */
const RATE_LIMITS_OFF_AFTER_FAILURE_MS = 1000;
/** Seconds a client shed for overload is asked to wait. */
const OVERLOAD_RETRY_AFTER_SECONDS = 1;

/** Resolves with what `check` gives within the budget, or undefined (failed or too slow). */
function withinBudget<T>(check: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<undefined>((resolve) => {
    // Given up only after the next poll phase: when the event loop itself was stalled, a reply
    // already waiting on the socket wins, and limits are not switched off for a slow process.
    timer = setTimeout(() => setImmediate(resolve, undefined), RATE_LIMIT_CHECK_BUDGET_MS);
  });
  // A check given up on still settles later (its command times out): handled here, not unhandled.
  return Promise.race([check.catch(() => undefined), giveUp]).finally(() => clearTimeout(timer));
}

/** How long boot waits for the limiter's own connection (only when Redis is reachable at all). */
const LIMITER_CONNECT_WAIT_MS = 3000;

/**
 * The rate limiter's own connection to Redis. On a shared auto-pipelined connection a check
 * given up on would still hold the commands queued behind it (one pipeline in flight at a time):
 * a hung Redis would cost the route's own command the limiter's timeout as well.
 */
async function limiterConnection(app: FastifyInstance, redis: Redis | Cluster): Promise<Redis | Cluster> {
  // The same options (and nodes, for a Cluster); the union's two `duplicate`s take different arguments.
  const limiter: Redis | Cluster = redis.isCluster ? (redis as Cluster).duplicate() : (redis as Redis).duplicate();
  // Without a listener ioredis would print every reconnect attempt as an unhandled error.
  limiter.on('error', () => {});
  app.addHook('onClose', async () => {
    await limiter.quit().catch(() => limiter.disconnect());
  });
  // Commands fail at once until it is connected (no offline queue): limits would be skipped.
  if (redis.status === 'ready' && limiter.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LIMITER_CONNECT_WAIT_MS);
      limiter.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return limiter;
}

/**
 * The answer to a request shed for overload. under-pressure sends what its handler returns and
 * stops there; a handler that sent the reply itself and returned nothing would let the route run
 * too (its effect committed while the client reads 503). Its types only admit `void`, hence the cast.
 */
const shedLoad = ((request: FastifyRequest, reply: FastifyReply) => {
  // Liveness must not fail under load (an orchestrator would restart a busy process).
  if (request.routeOptions.url === '/health/live') return undefined;
  const shed = new HttpErrors.SERVICE_UNAVAILABLE();
  reply.code(503).header('retry-after', OVERLOAD_RETRY_AFTER_SECONDS).type('application/json; charset=utf-8');
  return errorPayload(503, shed.code, shed.message);
}) as unknown as NonNullable<FastifyUnderPressureOptions['pressureHandler']>;

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
    redis: opts.redis && (await limiterConnection(app, opts.redis)),
    nameSpace: `${opts.redisPrefix}:rate:`,
    // Errors come back to `limitRate`, which lets the request through and stops asking for a while.
    skipOnError: false,
  });
  let limitsOffUntil = 0;
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
      // Redis down or hung: the request goes on uncounted; if it needs Redis, it answers 503 itself.
      if (Date.now() < limitsOffUntil) return;
      const limit = await withinBudget(check(request));
      if (!limit) {
        if (Date.now() >= limitsOffUntil) request.log.warn('rate limits skipped: Redis did not answer in time');
        limitsOffUntil = Date.now() + RATE_LIMITS_OFF_AFTER_FAILURE_MS;
        return;
      }
      if (limit.isAllowed || !limit.isExceeded) return;
      reply.header('retry-after', limit.ttlInSeconds);
      throw new HttpErrors.RATE_LIMITED(limit.ttlInSeconds);
    };
    return hook;
  });

  if (opts.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      retryAfter: OVERLOAD_RETRY_AFTER_SECONDS,
      exposeStatusRoute: false,
      pressureHandler: shedLoad,
    });
  }
}

export const frontDoorPlugin = fp(frontDoor, { name: 'front-door', fastify: '5.x' });

// Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether a presented key is the admin key, compared in constant time. */
export function adminKeyMatcher(adminApiKey: string): (given: string | undefined) => boolean {
  const expected = digest(adminApiKey);
  return (given) => given !== undefined && timingSafeEqual(digest(given), expected);
}

/** onRequest hook: `401 ADMIN_KEY_INVALID` unless the `X-Admin-Key` header is the configured key. */
export function adminKeyGuard(adminApiKey: string): onRequestHookHandler {
  const matches = adminKeyMatcher(adminApiKey);
  return async (request) => {
    const given = request.headers['x-admin-key'];
    if (!matches(typeof given === 'string' ? given : undefined)) throw new HttpErrors.ADMIN_KEY_INVALID();
  };
}
