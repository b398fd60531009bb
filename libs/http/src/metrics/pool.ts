import { Gauge, type Registry } from 'prom-client';

/** What the gauges read of a `pg` pool (structural, so this lib needs no database package). */
export type PoolLike = { totalCount: number; idleCount: number; waitingCount: number; options: { max?: number } };

/**
 * The PostgreSQL pool's connections in use, idle and its callers waiting for one, read at
 * scrape time. Waiting > 0 for long means the pool (or PostgreSQL's max_connections) is the limit.
 */
export function registerPoolMetrics(registry: Registry, pool: PoolLike) {
  new Gauge({
    name: 'pg_pool_connections_in_use',
    help: 'PostgreSQL pool connections checked out by a query or transaction',
    registers: [registry],
    collect() {
      this.set(pool.totalCount - pool.idleCount);
    },
  });
  new Gauge({
    name: 'pg_pool_connections_idle',
    help: 'PostgreSQL pool connections open and idle',
    registers: [registry],
    collect() {
      this.set(pool.idleCount);
    },
  });
  new Gauge({
    name: 'pg_pool_requests_waiting',
    help: 'Callers waiting for a PostgreSQL pool connection',
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  new Gauge({
    name: 'pg_pool_connections_max',
    help: 'The pool size (DATABASE_POOL_SIZE for booking, 4 for gateway and worker)',
    registers: [registry],
    collect() {
      this.set(pool.options.max ?? 10);
    },
  });
}
