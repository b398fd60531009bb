import type { FastifyInstance } from 'fastify';
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
