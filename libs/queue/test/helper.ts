import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { resolveTestServices } from '@concert/test-services';
import { createRedis, createWaitingRoom, queueKeys, type RedisClient } from '../src/index.js';

type TapLike = { teardown(fn: () => unknown): void };

/** Deletes every key under `prefix:` (clean-up after a test, never a request path). */
async function deleteUnder(redis: RedisClient, prefix: string) {
  const node = redis as Redis;
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await node.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * A waiting room on the real Redis under a key prefix of this test's own, removed afterwards.
 * `room()` gives another instance on the same data (as another gateway or worker process has).
 */
export async function roomContext(t: TapLike) {
  const { redisUrl } = await resolveTestServices();
  const prefix = `test:${randomUUID().slice(0, 8)}`;
  const clients: RedisClient[] = [];
  const connect = () => {
    const client = createRedis(redisUrl, { enableOfflineQueue: true });
    clients.push(client);
    return client;
  };
  const redis = connect();
  t.teardown(async () => {
    await deleteUnder(redis, prefix);
    for (const client of clients) client.disconnect();
  });
  const room = () => createWaitingRoom({ redis: connect(), prefix });
  return { redis, prefix, waitingRoom: room(), room, connect, keys: (queueId: string) => queueKeys(prefix, queueId) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token reference from a join's result. */
export const refOf = (userId: string, joined: { tokenId: string; issuedAt: number }) => ({
  userId,
  tokenId: joined.tokenId,
  issuedAt: joined.issuedAt,
});
