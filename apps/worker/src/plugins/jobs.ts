import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MetricsTime, Queue, Worker } from 'bullmq';
import { createRedis, redisConnectionOf } from '@concert/queue';
import type { Config } from '@concert/config';
import { JOBS, type JobContext } from '../jobs/index.js';
import { admitQueues } from '../jobs/admit-queues.js';
import { createWorkerMetrics } from '../metrics.js';

export const JOB_QUEUE_NAME = 'concert-jobs';

/** BullMQ's key prefix: under REDIS_PREFIX, with a hash tag so all its keys share a cluster slot. */
export const jobKeyPrefix = (config: Config) => `${config.REDIS_PREFIX}:{jobs}`;

/**
 * Where the last successful tick (admit-queues run) is marked, by whichever instance ran it: a
 * key that expires when ticks stop, so every instance's readiness sees the same truth.
 */
export const lastTickKey = (config: Config) => `${jobKeyPrefix(config)}:last-tick`;

/** Ticks older than this (a few periods) make the worker unready. */
export const tickStaleAfterMs = (config: Config) => Math.max(5 * config.ADMIT_INTERVAL_MS, 3000);

/** How often each instance checks that the schedulers exist and ticks happen, and repairs them if not. */
const SELF_CHECK_MS = 2000;
/** How long start-up waits for the schedulers before serving anyway (the self-check keeps trying). */
const START_WAIT_MS = 3000;

/**
 * The recurring jobs, as BullMQ Job Schedulers. Every worker instance upserts the same
 * schedulers (idempotent) and processes whichever runs it picks up, so any number of instances
 * share the work and none is special. Redis can lose the schedulers (restarted empty, failed over
 * to an empty replica): each instance re-asserts them on every reconnect and whenever its
 * periodic self-check finds one missing or the ticks stopped. Closing finishes the job in hand first.
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
  connection.on('error', (err) => app.log.warn({ err: { message: err.message } }, 'bullmq redis connection error'));
  const prefix = jobKeyPrefix(config);
  const queue = new Queue(JOB_QUEUE_NAME, { connection, prefix });
  queue.on('error', (err) => app.log.warn({ err: { message: err.message } }, 'job queue error'));
  const context: JobContext = {
    config,
    sql: app.sql,
    waitingRoom: app.waitingRoom,
    redis: app.redis,
    metrics: createWorkerMetrics(app.metrics),
    log: app.log,
  };
  const definitions = new Map(JOBS.map((job) => [job.name, job]));
  const tickKey = lastTickKey(config);
  const staleAfterMs = tickStaleAfterMs(config);

  const worker = new Worker(
    JOB_QUEUE_NAME,
    async (job) => {
      const definition = definitions.get(job.name);
      if (!definition) throw new Error(`unknown job ${job.name}`);
      const stopTimer = context.metrics.jobDuration.startTimer({ job_name: job.name });
      try {
        const result = await definition.handle(context);
        stopTimer({ outcome: 'ok' });
        if (definition === admitQueues) {
          await app.redis
            .set(tickKey, String(Date.now()), 'PX', staleAfterMs)
            .catch((err: Error) => app.log.warn({ err: { message: err.message } }, 'could not mark the tick'));
        }
        app.log.debug({ job: job.name, ...result }, 'job done');
        return result;
      } catch (error) {
        stopTimer({ outcome: 'error' });
        throw error;
      }
    },
    // One slot per job kind, so a long hold sweep never delays an admission tick.
    // `metrics`: BullMQ keeps completed/failed counts per minute (its Prometheus exporter reads them).
    {
      connection,
      prefix,
      concurrency: JOBS.length,
      autorun: false,
      metrics: { maxDataPoints: MetricsTime.ONE_HOUR * 24 },
    },
  );
  worker.on('failed', (job, err) => app.log.error({ err, job: job?.name }, 'job failed; the next run redoes its work'));
  worker.on('error', (err) => app.log.error({ err }, 'worker error'));

  /** Upserts every scheduler: idempotent (an existing one keeps its next run), safe from any instance. */
  const upsertSchedulers = async () => {
    for (const job of JOBS) {
      await queue.upsertJobScheduler(
        job.name,
        { every: job.everyMs(config) },
        { name: job.name, opts: { removeOnComplete: true, removeOnFail: 50 } },
      );
    }
  };
  let repairing: Promise<void> | undefined;
  /** Re-asserts the schedulers (one attempt at a time); failures are logged and retried by the self-check. */
  const reassert = (reason: string) => {
    repairing ??= upsertSchedulers()
      .then(() => app.log.info({ reason }, 'job schedulers asserted'))
      .catch((err: Error) => app.log.warn({ err: { message: err.message }, reason }, 'could not assert job schedulers'))
      .finally(() => {
        repairing = undefined;
      });
    return repairing;
  };

  /** Names of the schedulers Redis does not have. Fails fast (no waiting for a reconnect). */
  const missingSchedulers = async () => {
    if (connection.status !== 'ready') throw new Error(`job connection is ${connection.status}`);
    const found = await Promise.all(JOBS.map((job) => queue.getJobScheduler(job.name)));
    return JOBS.filter((_, i) => !found[i]).map((job) => job.name);
  };
  const tickIsFresh = async () => (await app.redis.exists(tickKey)) === 1;

  let started = false;
  let selfCheck: NodeJS.Timeout | undefined;
  // Every reconnect may be to a Redis that lost everything: assert the schedulers again.
  connection.on('ready', () => {
    if (started) void reassert('redis connection (re)established');
  });

  app.decorate('jobHealth', {
    /** Throws unless every scheduler exists and this instance's worker is running and connected. */
    async schedulers() {
      if (!worker.isRunning()) throw new Error('the job worker is not running');
      const missing = await missingSchedulers();
      if (missing.length) throw new Error(`job schedulers missing: ${missing.join(', ')}`);
    },
    /** Throws unless some instance completed a tick within the last few periods. */
    async ticks() {
      if (!(await tickIsFresh())) throw new Error(`no tick within ${staleAfterMs} ms`);
    },
  });

  app.decorate('jobQueue', queue);

  app.addHook('onReady', async () => {
    started = true;
    // With Redis down at start-up, serve anyway (unready): the self-check asserts them later.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      reassert('start'),
      new Promise((resolve) => {
        timer = setTimeout(resolve, START_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    void worker.run();
    selfCheck = setInterval(() => {
      void (async () => {
        const missing = await missingSchedulers();
        if (missing.length) return reassert(`schedulers missing: ${missing.join(', ')}`);
        // Schedulers present but nothing ticks (their next runs were lost): upserting re-adds them.
        if (!(await tickIsFresh())) return reassert('ticks stopped');
      })().catch(() => {
        // Redis unreachable: the reconnect asserts them.
      });
    }, SELF_CHECK_MS);
    selfCheck.unref();
    app.log.info({ jobs: JOBS.map((job) => `${job.name} every ${job.everyMs(config)} ms`) }, 'job schedulers running');
  });

  app.addHook('onClose', async () => {
    started = false;
    clearInterval(selfCheck);
    await worker.close();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    jobQueue: Queue;
    /** Readiness checks of the job machinery (see apps/worker/src/app.ts). */
    jobHealth: { schedulers(): Promise<void>; ticks(): Promise<void> };
  }
}

export const jobsPlugin = fp(jobs, { name: 'jobs', dependencies: ['database', 'waiting-room', 'metrics'] });
