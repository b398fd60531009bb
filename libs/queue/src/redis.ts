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

/** A server that refuses writes because it is a replica: what a failover leaves at the old primary. */
const isReadOnlyReply = (error: Error) => /^READONLY\b/.test(error.message);

/**
 * Fail fast: while Redis is unreachable, commands fail at once (no offline queue) or after
 * `commandTimeoutMs`, so requests answer 503 within about a second instead of hanging; the client
 * keeps reconnecting with backoff (at most 500 ms apart: an attempt is one TCP connect, and the
 * gap is how long the service can stay unready after Redis is back) and requests succeed again by
 * themselves.
 *
 * After a failover the connection may still lead to the old primary, now a replica that answers
 * reads and refuses every write (READONLY) for as long as the connection lives. A READONLY reply
 * therefore drops the connection (that command still fails: 503) and reconnects, which reaches
 * whatever the address names now: the new primary.
 */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 4), 500),
  reconnectOnError: isReadOnlyReply,
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

/** How long a successful write probe stands for the next readiness checks. */
const WRITE_PROBE_REUSE_MS = 1000;
/** The probe key lives a little, so a probe leaves nothing behind for long. */
const WRITE_PROBE_TTL_MS = 10_000;

/**
 * The readiness check of a Redis client: resolves when Redis takes writes, throws when it does
 * not. A PING would pass on a replica (a failed-over old primary) while every write of the app
 * answers 503; a write tells them apart, and its READONLY reply also makes the client reconnect
 * (see FAIL_FAST), so a probe alone heals an idle process. A success stands for a second, so
 * however often the probes come, Redis sees at most one write per second from each process.
 */
export function redisWriteCheck(redis: RedisClient, prefix: string): () => Promise<void> {
  const key = `${prefix}:health:write-probe`;
  let succeededAt = -Infinity;
  return async () => {
    if (redis.status === 'ready' && Date.now() - succeededAt < WRITE_PROBE_REUSE_MS) return;
    await redis.set(key, String(Date.now()), 'PX', WRITE_PROBE_TTL_MS);
    succeededAt = Date.now();
  };
}
