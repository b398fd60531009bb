import t from 'tap';
import { Redis } from 'ioredis';
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
