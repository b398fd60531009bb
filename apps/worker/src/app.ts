import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { errorHandlerPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { waitingRoomFastifyPlugin, waitingRoomOptions } from '@concert/queue';
import { prismaPlugin } from '@concert/db';
import { jobsPlugin } from './plugins/jobs.js';

export type WorkerOptions = { config: Config };

/** The worker: recurring jobs, plus health and metrics over HTTP for the operator. */
async function worker(app: FastifyInstance, { config }: WorkerOptions) {
  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { serviceName: 'worker' });
  await app.register(prismaPlugin, { databaseUrl: config.DATABASE_URL, poolSize: 4 });
  await app.register(waitingRoomFastifyPlugin, waitingRoomOptions(config));
  await app.register(healthPlugin, {
    checks: [
      { name: 'postgres', check: () => app.db.$queryRaw`SELECT 1` },
      { name: 'redis', check: () => app.redis.ping() },
    ],
  });
  await app.register(jobsPlugin, { config });
}

export default fp(worker, { name: 'worker-app', fastify: '5.x' });
