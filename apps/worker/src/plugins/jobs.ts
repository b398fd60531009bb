import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MetricsTime, Queue, Worker, type Job } from 'bullmq';
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
/** States of a job that has not run yet (or is running now). */
const PENDING_STATES = new Set(['delayed', 'waiting', 'prioritized', 'waiting-children', 'active']);

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

  const processJob = async (job: Job) => {
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
  };
  /** A BullMQ worker for the jobs (a new one replaces one that was closed under us). */
  const createWorker = () => {
    const created = new Worker(JOB_QUEUE_NAME, processJob, {
      connection,
      prefix,
      // One slot per job kind, so a long hold sweep never delays an admission tick.
      concurrency: JOBS.length,
      autorun: false,
      // BullMQ keeps completed/failed counts per minute (its Prometheus exporter reads them).
      metrics: { maxDataPoints: MetricsTime.ONE_HOUR * 24 },
    });
    created.on('failed', (job, err) =>
      app.log.error({ err, job: job?.name }, 'job failed; the next run redoes its work'),
    );
    created.on('error', (err) => app.log.error({ err }, 'worker error'));
    return created;
  };
  let worker = createWorker();
  /**
   * Runs the worker's loop. It should only end when the app closes; should it end or fail anyway,
   * that is logged (never an unhandled rejection, which would end the process) and the
   * self-check starts it again.
   */
  const runWorker = () => {
    const running = worker;
    running.run().then(
      () => {
        if (started && !running.closing) app.log.error('the job worker stopped; the self-check restarts it');
      },
      (err: Error) => app.log.error({ err }, 'the job worker failed; the self-check restarts it'),
    );
  };
  /** Starts the worker again if its loop is not running (a closed worker is replaced by a new one). */
  const restartWorkerIfStopped = () => {
    if (!started || worker.isRunning()) return;
    if (worker.closing) worker = createWorker();
    app.log.warn('job worker not running: starting it again');
    runWorker();
  };

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

  /**
   * Whether a scheduler will run again: it exists and its next run (the job BullMQ adds for it
   * each time a run starts) is still waiting. Redis can lose that job alone (the last second of
   * writes lost from the append-only file), and then the scheduler never fires again.
   */
  const hasNextRun = async (id: string) => {
    const scheduler = await queue.getJobScheduler(id);
    if (!scheduler?.next) return false;
    // BullMQ names a scheduler's next run `repeat:<scheduler id>:<its time>`.
    if (PENDING_STATES.has(await queue.getJobState(`repeat:${id}:${scheduler.next}`))) return true;
    // That run may have started, and the scheduler moved on, between the two reads.
    return (await queue.getJobScheduler(id))?.next !== scheduler.next;
  };
  /** Names of the schedulers that will not run again by themselves. Fails fast (no waiting for a reconnect). */
  const stalledSchedulers = async () => {
    if (connection.status !== 'ready') throw new Error(`job connection is ${connection.status}`);
    const running = await Promise.all(JOBS.map((job) => hasNextRun(job.name)));
    return JOBS.filter((_, i) => !running[i]).map((job) => job.name);
  };
  const tickIsFresh = async () => (await app.redis.exists(tickKey)) === 1;

  let started = false;
  let selfCheck: NodeJS.Timeout | undefined;
  // Every reconnect may be to a Redis that lost everything: assert the schedulers again.
  connection.on('ready', () => {
    if (started) void reassert('redis connection (re)established');
  });

  app.decorate('jobHealth', {
    /** Throws unless every scheduler will run again and this instance's worker is running and connected. */
    async schedulers() {
      if (!worker.isRunning()) throw new Error('the job worker is not running');
      const stalled = await stalledSchedulers();
      if (stalled.length) throw new Error(`job schedulers stalled: ${stalled.join(', ')}`);
    },
    /** Throws unless some instance completed a tick within the last few periods. */
    async ticks() {
      if (!(await tickIsFresh())) throw new Error(`no tick within ${staleAfterMs} ms`);
    },
  });

  app.decorate('jobQueue', queue);
  app.decorate('jobWorker', { getter: () => worker });

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
    runWorker();
    selfCheck = setInterval(() => {
      restartWorkerIfStopped();
      void (async () => {
        // Upserting a scheduler puts back whatever it lacks: itself, or its next run.
        const stalled = await stalledSchedulers();
        if (stalled.length) return reassert(`schedulers stalled: ${stalled.join(', ')}`);
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
    /** This instance's BullMQ worker (the current one: the self-check replaces one that was closed). */
    jobWorker: Worker;
    /** Readiness checks of the job machinery (see apps/worker/src/app.ts). */
    jobHealth: { schedulers(): Promise<void>; ticks(): Promise<void> };
  }
}

export const jobsPlugin = fp(jobs, { name: 'jobs', dependencies: ['database', 'waiting-room', 'metrics'] });
