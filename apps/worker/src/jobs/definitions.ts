import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '@concert/config';
import type { Sql } from '@concert/db';
import type { RedisClient, WaitingRoom } from '@concert/queue';
import type { WorkerMetrics } from '../metrics.js';

/** What every job handler may use. */
export type JobContext = {
  config: Config;
  sql: Sql;
  waitingRoom: WaitingRoom;
  /** The worker's Redis client (the one the waiting room runs on). */
  redis: RedisClient;
  metrics: WorkerMetrics;
  log: FastifyBaseLogger;
};

/** A recurring job: its scheduler id/name, how often it runs, and what it does. Handlers are idempotent. */
export type JobDefinition = {
  name: string;
  everyMs: (config: Config) => number;
  handle: (context: JobContext) => Promise<Record<string, number>>;
};
