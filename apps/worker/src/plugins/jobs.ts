import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Queue, Worker } from 'bullmq';
import { createRedis, redisConnectionOf } from '@concert/queue';
import type { Config } from '@concert/config';
import { JOBS, type JobContext } from '../jobs/index.js';
import { createWorkerMetrics } from '../metrics.js';

export const JOB_QUEUE_NAME = 'concert-jobs';

/** BullMQ's key prefix: under REDIS_PREFIX, with a hash tag so all its keys share a cluster slot. */
export const jobKeyPrefix = (config: Config) => `${config.REDIS_PREFIX}:{jobs}`;

/**
 * The recurring jobs, as BullMQ Job Schedulers. Every worker instance upserts the same
 * schedulers (idempotent) and processes whichever runs it picks up, so any number of instances
 * share the work and none is special. Closing finishes the job in hand first.
 */
async function jobs(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  // BullMQ wants no per-command retry limit on its connection (its blocking reads wait forever).
  const connection = createRedis(redisConnectionOf(config), {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    commandTimeout: undefined,
  });
  connection.on('error', (err) => app.log.warn({ err }, 'bullmq redis connection error'));
  const prefix = jobKeyPrefix(config);
  const queue = new Queue(JOB_QUEUE_NAME, { connection, prefix });
  const context: JobContext = {
    config,
    db: app.db,
    sql: app.sql,
    waitingRoom: app.waitingRoom,
    redis: app.redis,
    metrics: createWorkerMetrics(app.metrics),
    log: app.log,
  };
  const definitions = new Map(JOBS.map((job) => [job.name, job]));

  const worker = new Worker(
    JOB_QUEUE_NAME,
    async (job) => {
      const definition = definitions.get(job.name);
      if (!definition) throw new Error(`unknown job ${job.name}`);
      const stopTimer = context.metrics.jobDuration.startTimer({ job: job.name });
      try {
        const result = await definition.handle(context);
        stopTimer({ outcome: 'ok' });
        app.log.debug({ job: job.name, ...result }, 'job done');
        return result;
      } catch (error) {
        stopTimer({ outcome: 'error' });
        throw error;
      }
    },
    // One slot per job kind, so a long hold sweep never delays an admission tick.
    { connection, prefix, concurrency: JOBS.length, autorun: false },
  );
  worker.on('failed', (job, err) => app.log.error({ err, job: job?.name }, 'job failed; the next run redoes its work'));
  worker.on('error', (err) => app.log.error({ err }, 'worker error'));

  app.decorate('jobQueue', queue);

  app.addHook('onReady', async () => {
    for (const job of JOBS) {
      await queue.upsertJobScheduler(
        job.name,
        { every: job.everyMs(config) },
        { name: job.name, opts: { removeOnComplete: true, removeOnFail: 50 } },
      );
    }
    void worker.run();
    app.log.info({ jobs: JOBS.map((job) => `${job.name} every ${job.everyMs(config)} ms`) }, 'job schedulers running');
  });

  app.addHook('onClose', async () => {
    await worker.close();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    jobQueue: Queue;
  }
}

export const jobsPlugin = fp(jobs, { name: 'jobs', dependencies: ['database', 'waiting-room', 'metrics'] });
