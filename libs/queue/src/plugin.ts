import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createRedis } from './redis.js';
import { createWaitingRoom, type WaitingRoom } from './waiting-room.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    waitingRoom: WaitingRoom;
  }
}

export type WaitingRoomPluginOptions = {
  redisUrl: string;
  prefix: string;
  defaults: { maxActive: number; activeTtlSeconds: number };
};

/** Decorates the app with a Redis client and the waiting room on it; disconnects on close. */
async function waitingRoomPlugin(app: FastifyInstance, opts: WaitingRoomPluginOptions) {
  const redis = createRedis(opts.redisUrl);
  // Without a listener ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', (err) => app.log.warn({ err }, 'redis connection error'));
  app.decorate('redis', redis);
  app.decorate('waitingRoom', createWaitingRoom({ redis, prefix: opts.prefix, defaults: opts.defaults }));
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}

export const waitingRoomFastifyPlugin = fp(waitingRoomPlugin, { name: 'waiting-room', fastify: '5.x' });
