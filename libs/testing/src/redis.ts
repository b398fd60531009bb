import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export type TestRedis = { url: string; prefix: string; redis: Redis; cleanup(): Promise<void> };

/** A Redis key namespace of its own for one test file; `cleanup` deletes every key under it. */
export async function createTestRedis(url: string): Promise<TestRedis> {
  const prefix = `test:${randomUUID().slice(0, 8)}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  return {
    url,
    prefix,
    redis,
    async cleanup() {
      await deleteKeysUnder(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Deletes every key under `prefix:`. SCAN is fine here: clean-up after tests and benchmarks, never a request path. */
export async function deleteKeysUnder(redis: Redis, prefix: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
