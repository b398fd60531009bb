import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A standalone Redis or a Redis Cluster: every waiting-room operation works on both. */
export type RedisClient = Redis | Cluster;

export type RedisConnectionOptions = {
  url: string;
  /** REDIS_CLUSTER_NODES ("host:port,host:port"): a Cluster client instead of `url`. */
  clusterNodes?: string;
  /** A command not answered within this fails (then: 503), instead of waiting for a reconnect. */
  commandTimeoutMs?: number;
};

/**
 * Fail fast: while Redis is unreachable, commands fail at once (no offline queue) or after
 * `commandTimeoutMs`, so requests answer 503 within about a second instead of hanging; the client
 * keeps reconnecting with backoff (at most 500 ms apart: an attempt is one TCP connect, and the
 * gap is how long the service can stay unready after Redis is back) and requests succeed again by
 * themselves.
 */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 4), 500),
};

/**
 * A client for request paths. Auto-pipelining batches the commands of concurrent requests into
 * one write, which is most of the waiting room's throughput. Every key of one queue shares a
 * hash tag, so on a Cluster each script runs on one node. `overrides` adjust it (BullMQ wants a
 * client that waits for reconnects instead).
 */
export function createRedis(connection: RedisConnectionOptions | string, overrides: RedisOptions = {}): RedisClient {
  const {
    url,
    clusterNodes,
    commandTimeoutMs = 1000,
  } = typeof connection === 'string' ? { url: connection } : connection;
  const options: RedisOptions = {
    enableAutoPipelining: true,
    ...FAIL_FAST,
    commandTimeout: commandTimeoutMs,
    ...overrides,
  };
  if (clusterNodes) {
    const nodes = clusterNodes.split(',').map((node) => {
      const [host, port] = node.trim().split(':');
      return { host: host!, port: Number(port) };
    });
    return new Cluster(nodes, {
      enableAutoPipelining: options.enableAutoPipelining,
      enableOfflineQueue: options.enableOfflineQueue,
      redisOptions: options,
    });
  }
  return new Redis(url, options);
}

/**
 * Another connection with the same settings (and nodes, for a Cluster): for work that must not
 * queue behind, or hold up, the commands of requests on an auto-pipelined client.
 */
export function duplicateRedis(redis: RedisClient): RedisClient {
  // The union's two `duplicate`s take different arguments.
  return redis.isCluster ? (redis as Cluster).duplicate() : (redis as Redis).duplicate();
}
