import t from 'tap';
import { queueKeys } from '@concert/queue';
import { eventually, sleep, startWorker, workerContext } from './helper.js';

t.test('the tick admits first come first served, never above maxActive, and expires active tokens', async (t) => {
  const context = await workerContext(t);
  const { redis, config, issuer, waitingRoom } = context;
  const keys = queueKeys(config.REDIS_PREFIX, 'fifo');
  // Paused while the line forms, so that arrival order alone decides.
  await issuer.configure('fifo', { maxActive: 3, activeTtlSeconds: 1, paused: true });
  const fans: Awaited<ReturnType<typeof context.issuer.join>>[] = [];
  for (let i = 0; i < 9; i++) fans.push(await context.issuer.join('fifo', `fan-${i}`));
  t.ok(fans.every((f) => f.status === 'WAITING'));

  await startWorker(t, context);
  await sleep(300);
  t.equal(await redis.zcard(keys.active), 0, 'paused: several ticks admitted nobody');

  const admittedOrder: string[] = [];
  let highest = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const active = await redis.zrange(keys.active, '0', '-1');
      highest = Math.max(highest, active.length);
      for (const userId of active) if (!admittedOrder.includes(userId)) admittedOrder.push(userId);
      await sleep(10);
    }
  })();

  await issuer.configure('fifo', { paused: false });
  const firstTurn = await eventually(
    async () => (await waitingRoom.status('fifo', fans[0]!.claims))?.status === 'ACTIVE',
  );
  t.ok(firstTurn, 'the head of the line is admitted within a tick or two');
  t.ok(await eventually(async () => admittedOrder.length === 9, 8000), 'everyone gets a turn as active tokens expire');
  running = false;
  await sampler;

  t.ok(highest <= 3, `active count peaked at ${highest} (maxActive 3)`);
  const batches = [admittedOrder.slice(0, 3), admittedOrder.slice(3, 6), admittedOrder.slice(6)].map((b) => b.sort());
  t.same(
    batches,
    [
      ['fan-0', 'fan-1', 'fan-2'],
      ['fan-3', 'fan-4', 'fan-5'],
      ['fan-6', 'fan-7', 'fan-8'],
    ],
    'admitted in arrival order, a batch of maxActive at a time',
  );

  t.ok(
    await eventually(async () => (await waitingRoom.status('fifo', fans[0]!.claims)) === null),
    'an expired token is refused',
  );
  t.ok(
    await eventually(async () => (await redis.hlen(keys.users)) === 0, 3000),
    'after their time, nobody is live and nothing remains',
  );
  t.equal(Number(await redis.hget(keys.stats, 'admitted')), 9, 'admissions are recorded for the ETA');
});
