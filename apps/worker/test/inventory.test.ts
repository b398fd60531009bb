import t from 'tap';
import { queueKeys } from '@concert/queue';
import { eventually, sleep, startWorker, workerContext } from './helper.js';

t.test('inventory-aware admission: a seat cap of 3, then SOLD_OUT while nothing is left or held', async (t) => {
  const context = await workerContext(t);
  const { redis, config, issuer, waitingRoom } = context;
  const keys = queueKeys(config.REDIS_PREFIX, 'seats');
  await issuer.configure('seats', { maxActive: 10, maxActivePerSeat: 1, paused: true });
  // What booking keeps: 3 seats left, none held.
  await redis.hset(keys.seats, 'left', 3, 'held', 0);
  const fans: Awaited<ReturnType<typeof issuer.join>>[] = [];
  for (let i = 0; i < 8; i++) fans.push(await issuer.join('seats', `fan-${i}`));
  await startWorker(t, context);
  await issuer.configure('seats', { paused: false });

  let running = true;
  let highest = 0;
  const sampler = (async () => {
    while (running) {
      highest = Math.max(highest, await redis.zcard(keys.active));
      await sleep(5);
    }
  })();
  t.ok(await eventually(async () => (await redis.zcard(keys.active)) === 3), 'three admitted for three seats');
  await sleep(300); // several ticks
  t.equal(await redis.zcard(keys.active), 3, 'and no more, with room for 10');

  // The three buy the three seats (booking: a hold moves a seat from left to held, a payment
  // takes it off held), and their turns end as payments do.
  const active = fans.slice(0, 3); // the first three in line
  await redis.hset(keys.seats, 'left', 0, 'held', 3);
  t.equal((await waitingRoom.figures('seats'))!.queueStatus, 'OPEN', 'holds pending: not sold out');
  await redis.hset(keys.seats, 'held', 0);
  for (const fan of active) await waitingRoom.remove('seats', fan.claims);
  t.ok(
    await eventually(async () => (await waitingRoom.figures('seats'))!.queueStatus === 'SOLD_OUT'),
    'SOLD_OUT once nothing is left and nothing held',
  );
  await sleep(300);
  t.equal(await redis.zcard(keys.active), 0, 'nobody is admitted to fight over seats that do not exist');
  const waiter = await waitingRoom.status('seats', fans[3]!.claims);
  t.match(waiter, { status: 'WAITING', position: 1, queueStatus: 'SOLD_OUT' }, 'waiters keep their place');

  // A refund brings a seat back: the next in line gets it.
  await redis.hset(keys.seats, 'left', 1);
  t.ok(
    await eventually(async () => (await waitingRoom.status('seats', fans[3]!.claims))?.status === 'ACTIVE'),
    'the head of the line is admitted for the seat that came back',
  );
  await sleep(200);
  running = false;
  await sampler;
  t.ok(highest <= 3, `active peaked at ${highest}, never above the seat cap of 3`);
  t.equal(await redis.zcard(keys.active), 1);
});
