import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { errorHandlerPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { redisWriteCheck, waitingRoomFastifyPlugin, waitingRoomOptions } from '@concert/queue';
import { databasePlugin } from '@concert/db';
import { jobsPlugin } from './plugins/jobs.js';
import { jobMetricsPlugin } from './plugins/job-metrics.js';
import { jobsBoardPlugin } from './plugins/jobs-board.js';

export type WorkerOptions = { config: Config };

// One connection per concurrent job kind is plenty: jobs are short, bounded batches.
const WORKER_POOL_SIZE = 4;

/** The worker: recurring jobs, plus health and metrics over HTTP for the operator. */
async function worker(app: FastifyInstance, { config }: WorkerOptions) {
  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { serviceName: 'worker' });
  await app.register(databasePlugin, {
    databaseUrl: config.DATABASE_URL,
    poolSize: WORKER_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    // Its HTTP routes are probes and the jobs board; its jobs' statements are bounded one by one.
    requestBudget: false,
  });
  await app.register(waitingRoomFastifyPlugin, waitingRoomOptions(config));
  await app.register(jobsPlugin, { config });
  await app.register(healthPlugin, {
    checks: [
      { name: 'postgres', check: () => app.sql.query('SELECT 1') },
      { name: 'redis', check: redisWriteCheck(app.redis, config.REDIS_PREFIX) },
      // Redis can be up and still have lost the schedulers, or the ticks can have stopped: then
      // nobody is admitted and no hold is released, so the worker is not ready.
      { name: 'schedulers', check: () => app.jobHealth.schedulers() },
      { name: 'ticks', check: () => app.jobHealth.ticks() },
    ],
  });
  await app.register(jobMetricsPlugin);
  await app.register(jobsBoardPlugin, { config });
}

export default fp(worker, { name: 'worker-app', fastify: '5.x' });
