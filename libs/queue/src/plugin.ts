import type { FastifyInstance } from 'fastify';
import type { Config } from '@concert/config';
import fp from 'fastify-plugin';
import { createRedis, type RedisClient } from './redis.js';
import { createWaitingRoom, type WaitingRoom } from './waiting-room.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
    waitingRoom: WaitingRoom;
  }
}

export type WaitingRoomPluginOptions = {
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: use a Redis Cluster instead of `redisUrl`. */
  redisClusterNodes?: string;
  prefix: string;
  defaults: { maxActive: number; activeTtlSeconds: number };
};

/** Decorates the app with a Redis client and the waiting room on it; disconnects on close. */
async function waitingRoomPlugin(app: FastifyInstance, opts: WaitingRoomPluginOptions) {
  const redis = createRedis(opts.redisUrl, {}, opts.redisClusterNodes);
  // Without a listener ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', (err) => app.log.warn({ err }, 'redis connection error'));
  app.decorate<RedisClient>('redis', redis);
  app.decorate('waitingRoom', createWaitingRoom({ redis, prefix: opts.prefix, defaults: opts.defaults }));
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}

export const waitingRoomFastifyPlugin = fp(waitingRoomPlugin, { name: 'waiting-room', fastify: '5.x' });

type WaitingRoomConfig = Pick<
  Config,
  'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_PREFIX' | 'QUEUE_DEFAULT_MAX_ACTIVE' | 'QUEUE_DEFAULT_ACTIVE_TTL_SECONDS'
>;

/** The waiting room's settings, read from the system configuration. */
export function waitingRoomOptions(config: WaitingRoomConfig): WaitingRoomPluginOptions {
  return {
    redisUrl: config.REDIS_URL,
    redisClusterNodes: config.REDIS_CLUSTER_NODES,
    prefix: config.REDIS_PREFIX,
    defaults: { maxActive: config.QUEUE_DEFAULT_MAX_ACTIVE, activeTtlSeconds: config.QUEUE_DEFAULT_ACTIVE_TTL_SECONDS },
  };
}

/** A Redis client and the waiting room on it, outside Fastify (seed, scripts, tests). Disconnect `redis` when done. */
export function connectWaitingRoom(config: WaitingRoomConfig) {
  const { redisUrl, redisClusterNodes, prefix, defaults } = waitingRoomOptions(config);
  const redis = createRedis(redisUrl, {}, redisClusterNodes);
  return { redis, waitingRoom: createWaitingRoom({ redis, prefix, defaults }) };
}
