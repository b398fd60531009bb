import { Redis, type RedisOptions } from 'ioredis';

/**
 * A client for request paths. Auto-pipelining batches the commands of concurrent requests into
 * one write, which is most of the waiting room's throughput. `REDIS_URL` may carry a db index.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2, ...options });
}
