import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A standalone Redis or a Redis Cluster: every waiting-room operation works on both. */
export type RedisClient = Redis | Cluster;

/**
 * A client for request paths. Auto-pipelining batches the commands of concurrent requests into
 * one write, which is most of the waiting room's throughput. `url` may carry a db index; with
 * `clusterNodes` ("host:port,host:port", REDIS_CLUSTER_NODES) a Cluster client is made instead:
 * every key of one queue shares a hash tag, so each script runs on one node.
 */
export function createRedis(url: string, options: RedisOptions = {}, clusterNodes?: string): RedisClient {
  if (clusterNodes) {
    const nodes = clusterNodes.split(',').map((node) => {
      const [host, port] = node.trim().split(':');
      return { host: host!, port: Number(port) };
    });
    return new Cluster(nodes, { enableAutoPipelining: true, redisOptions: { maxRetriesPerRequest: 2, ...options } });
  }
  return new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2, ...options });
}
