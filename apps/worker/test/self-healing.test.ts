import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { holdSeat } from '@concert/booking-domain';
import { seedDemoData } from '@concert/db';
import { hasRedisServer, startPrivateRedis } from '@concert/testing';
import { queueKeys } from '@concert/queue';
import { eventually, startWorker, workerContext } from './helper.js';

const ready = async (app: Awaited<ReturnType<typeof startWorker>>) => {
  const response = await app.inject({ method: 'GET', url: '/health/ready' });
  return { ok: response.statusCode === 200, checks: response.json().checks as Record<string, string> };
};

t.test(
  'Redis restarted empty: the worker re-asserts its schedulers by itself; readiness goes false, then true',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: false });
    const context = await workerContext(t, { REDIS_URL: redis.url, ADMIT_INTERVAL_MS: 100 });
    const { issuer, config } = context;
    const app = await startWorker(t, context);
    await issuer.configure('q', { maxActive: 1 });
    t.ok(await eventually(async () => (await ready(app)).ok), 'ready');

    await redis.kill();
    t.same((await ready(app)).ok, false, 'unready while Redis is down');
    // No persistence: Redis comes back with nothing (no queues, no schedulers, no tick mark).
    await redis.start();
    const back = Date.now();
    const sawUnready = !(await ready(app)).ok;
    t.ok(await eventually(async () => (await ready(app)).ok, 5000), 'ready again without a restart');
    t.ok(sawUnready, 'not ready until the schedulers were back and a tick had run');
    t.comment(`worker ready ${Date.now() - back} ms after Redis came back empty`);

    // Admission works again: the queue is restored from PostgreSQL by the tick, a fan is admitted.
    const keys = queueKeys(config.REDIS_PREFIX, 'q');
    const inspect = new Redis(redis.url);
    t.teardown(() => inspect.disconnect());
    const fan = await issuer.join('q', 'ann').catch(() => undefined);
    t.ok(fan, 'joins again (the queue was restored)');
    t.ok(
      await eventually(async () => (await inspect.zscore(keys.active, 'ann')) !== null, 5000),
      'and the next fan is admitted',
    );
  },
);

t.test(
  'schedulers deleted behind its back (Redis stays up): the self-check puts them back',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: false });
    const context = await workerContext(t, { REDIS_URL: redis.url, ADMIT_INTERVAL_MS: 100 });
    const app = await startWorker(t, context);
    t.ok(await eventually(async () => (await ready(app)).ok), 'ready');
    const admin = new Redis(redis.url);
    t.teardown(() => admin.disconnect());
    await admin.flushall();
    t.equal((await ready(app)).checks.schedulers, 'down', 'the loss shows in readiness');
    t.ok(
      await eventually(async () => (await ready(app)).ok, 6000),
      'repaired by the periodic self-check (no reconnect happened)',
    );
    t.ok((await app.jobQueue.getJobSchedulers()).length >= 4, 'every scheduler is back');
  },
);

/**
 * Deletes, in one step (no run can start in between), what Redis would lose of one scheduler:
 * its next run (the job and its place in the delayed set or the wait list), and with
 * `scheduler`, the scheduler itself. Only keys of the test's own prefix.
 */
const LOSE_SCHEDULER = `
local prefix, id, lose_scheduler = ARGV[1], ARGV[2], ARGV[3] == '1'
local next = redis.call('ZSCORE', prefix .. 'repeat', id)
if not next then return 0 end
local jobId = 'repeat:' .. id .. ':' .. next
redis.call('DEL', prefix .. jobId)
redis.call('ZREM', prefix .. 'delayed', jobId)
redis.call('ZREM', prefix .. 'prioritized', jobId)
redis.call('LREM', prefix .. 'wait', 0, jobId)
if lose_scheduler then
  redis.call('ZREM', prefix .. 'repeat', id)
  redis.call('DEL', prefix .. 'repeat:' .. id)
end
return 1`;

/** A worker whose only hold-release run is always a few seconds off, and a hold that lapses at once. */
async function workerWithLapsingHold(t: Test) {
  // The release job runs every 2 s, so its next run is waiting (delayed) when the test deletes it.
  const context = await workerContext(t, { RELEASE_INTERVAL_MS: 2000 });
  const app = await startWorker(t, context);
  t.ok(await eventually(async () => (await ready(app)).ok), 'ready');
  const { concert } = await seedDemoData(context.db);
  const schedule = await context.db.schedule.findFirstOrThrow({ where: { concertId: concert.id } });
  const lapsed = async () => {
    const { reservationId } = await holdSeat({
      sql: context.sql,
      userId: `lapsing-${Math.random()}`,
      concertId: concert.id,
      scheduleId: schedule.id,
      seatNo: 1 + Math.floor(Math.random() * 50),
      holdSeconds: 1,
      maxHolds: 4,
    });
    return async () =>
      (await context.db.reservation.findUniqueOrThrow({ where: { id: reservationId } })).status === 'EXPIRED';
  };
  const lose = (opts: { scheduler: boolean }) =>
    context.redis.eval(LOSE_SCHEDULER, 0, app.jobQueue.toKey(''), 'release-holds', opts.scheduler ? '1' : '0');
  return { app, lapsed, lose };
}

for (const scheduler of [false, true]) {
  t.test(
    scheduler
      ? 'one scheduler lost with its next run: readiness says so, the self-check puts it back, holds are released again'
      : "one scheduler's next run lost (the scheduler kept): readiness says so, the self-check re-adds it, holds are released again",
    async (t) => {
      const { app, lapsed, lose } = await workerWithLapsingHold(t);
      t.equal(await lose({ scheduler }), 1, 'the release job lost');
      t.equal((await ready(app)).checks.schedulers, 'down', 'the loss shows in readiness');
      const released = await lapsed();
      t.ok(await eventually(async () => (await ready(app)).ok, 8000), 'ready again (repaired by the self-check)');
      t.ok(await eventually(released, 8000), 'and a lapsed hold is released: the release job runs again');
    },
  );
}

t.test('the BullMQ worker stops under the app: readiness says so, and the self-check starts a new one', async (t) => {
  const context = await workerContext(t);
  const app = await startWorker(t, context);
  t.ok(await eventually(async () => (await ready(app)).ok), 'ready');
  const stopped = app.jobWorker;
  await stopped.close();
  t.equal((await ready(app)).checks.schedulers, 'down', 'a stopped worker shows in readiness');
  t.ok(await eventually(async () => (await ready(app)).ok, 8000), 'ready again');
  t.not(app.jobWorker, stopped, 'a new worker replaced the closed one');
  t.ok(app.jobWorker.isRunning(), 'and it runs');

  // The new worker does the work: a fan waiting in a paused line is admitted once it resumes.
  const keys = queueKeys(context.config.REDIS_PREFIX, 'after-restart');
  await context.issuer.configure('after-restart', { paused: true, maxActive: 1 });
  await context.issuer.join('after-restart', 'ann');
  await context.issuer.configure('after-restart', { paused: false });
  t.ok(
    await eventually(async () => (await context.redis.zscore(keys.active, 'ann')) !== null, 5000),
    'the next fan is admitted by the tick',
  );
});
