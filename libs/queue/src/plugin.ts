import type { FastifyInstance } from 'fastify';
import type { Config } from '@concert/config';
import fp from 'fastify-plugin';
import { createRedis, type RedisClient, type RedisConnectionOptions } from './redis.js';
import { createWaitingRoom, type QueueSettingsLoader, type WaitingRoom } from './waiting-room.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
    waitingRoom: WaitingRoom;
  }
}

export type WaitingRoomPluginOptions = {
  connection: RedisConnectionOptions;
  prefix: string;
  /** Where a queue Redis lost is restored from (PostgreSQL), where this app can read it. */
  loadSettings?: QueueSettingsLoader;
};

const BOOT_WAIT_MS = 3000;

function waitUntilReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}

/** Decorates the app with a Redis client and the waiting room on it; disconnects on close. */
async function waitingRoomPlugin(app: FastifyInstance, opts: WaitingRoomPluginOptions) {
  const redis = createRedis(opts.connection);
  // Without a listener ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', (err: Error) => app.log.warn({ err: { message: err.message } }, 'redis connection error'));
  app.decorate<RedisClient>('redis', redis);
  // Commands fail fast while disconnected (no offline queue), so give the first connection a
  // moment before serving; if Redis is down at boot the app starts anyway (and answers 503).
  await waitUntilReady(redis, BOOT_WAIT_MS);
  app.decorate('waitingRoom', createWaitingRoom({ redis, prefix: opts.prefix, loadSettings: opts.loadSettings }));
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}

export const waitingRoomFastifyPlugin = fp(waitingRoomPlugin, { name: 'waiting-room', fastify: '5.x' });

type RedisConfig = Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_PREFIX' | 'REDIS_COMMAND_TIMEOUT_MS'>;

/** How this system's processes reach Redis, from the configuration. */
export function redisConnectionOf(config: RedisConfig): RedisConnectionOptions {
  return {
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  };
}

/** The waiting room's plugin options, from the configuration. */
export function waitingRoomOptions(config: RedisConfig, loadSettings?: QueueSettingsLoader): WaitingRoomPluginOptions {
  return { connection: redisConnectionOf(config), prefix: config.REDIS_PREFIX, loadSettings };
}

/** A Redis client and the waiting room on it, outside Fastify (scripts, tests). Disconnect `redis` when done. */
export function connectWaitingRoom(config: RedisConfig, loadSettings?: QueueSettingsLoader) {
  const redis = createRedis(redisConnectionOf(config), { enableOfflineQueue: true });
  return { redis, waitingRoom: createWaitingRoom({ redis, prefix: config.REDIS_PREFIX, loadSettings }) };
}
