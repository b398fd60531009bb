import t from 'tap';
import { chargePoints, holdSeat, payReservations } from '@concert/booking-domain';
import { seedDemoData } from '@concert/db';
import { queueKeys } from '@concert/queue';
import { counterTotal, eventually, sleep, startWorker, workerContext } from './helper.js';

t.test('two worker instances on one Redis and database, while fans join, leave and pay', async (t) => {
  const context = await workerContext(t);
  const { db, sql, redis, config, waitingRoom, issuer } = context;
  const { concert } = await seedDemoData(db);
  const [schedule] = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
  const maxActive = 4;
  const keys = queueKeys(config.REDIS_PREFIX, concert.queueId);
  await issuer.configure(concert.queueId, { maxActive, activeTtlSeconds: 2, paused: true });

  // 30 lapsed holds for the sweep to find (HOLD 1 s), made before the workers start.
  for (let seatNo = 21; seatNo <= 50; seatNo++) {
    await holdSeat({
      sql,
      userId: `idle-${seatNo}`,
      concertId: concert.id,
      scheduleId: schedule!.id,
      seatNo,
      holdSeconds: 1,
      maxHolds: 4,
    });
  }

  const fans: Awaited<ReturnType<typeof issuer.join>>[] = [];
  for (let i = 0; i < 24; i++) fans.push(await issuer.join(concert.queueId, `fan-${i}`));
  const [one, two] = [await startWorker(t, context), await startWorker(t, context)];
  await issuer.configure(concert.queueId, { paused: false });

  const admittedOrder: string[] = [];
  let highest = 0;
  let samples = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const active = await redis.zrange(keys.active, '0', '-1');
      highest = Math.max(highest, active.length);
      samples++;
      for (const userId of active) if (!admittedOrder.includes(userId)) admittedOrder.push(userId);
      await sleep(5);
    }
  })();

  // Each fan, once active: a third leave, a third pay for a seat, a third let their time run out.
  let paid = 0;
  const journeys = fans.map(async (fan, i) => {
    const turn = await eventually(
      async () => (await waitingRoom.status(fan.queueId, fan.claims))?.status === 'ACTIVE',
      20_000,
      20,
    );
    if (!turn) throw new Error(`${fan.userId} was never admitted`);
    if (i % 3 === 0) {
      await sleep(50); // a look around first (and long enough for the sampler to see them)
      await waitingRoom.remove(fan.queueId, fan.claims);
    } else if (i % 3 === 1) {
      await chargePoints({ sql, userId: fan.userId, amount: 200_000, maxBalance: 100_000_000 });
      const held = await holdSeat({
        sql,
        userId: fan.userId,
        concertId: concert.id,
        scheduleId: schedule!.id,
        seatNo: i,
        holdSeconds: 60,
        maxHolds: 4,
      });
      await payReservations({
        sql,
        userId: fan.userId,
        queueId: concert.queueId,
        reservationIds: [held.reservationId],
      });
      await waitingRoom.remove(fan.queueId, fan.claims);
      paid++;
    }
  });
  await Promise.all(journeys);
  t.ok(
    await eventually(async () => (await redis.hlen(keys.users)) === 0, 8000),
    'every token ended (left, paid or expired)',
  );
  running = false;
  await sampler;

  t.ok(samples > 100, `active set sampled ${samples} times`);
  t.ok(highest <= maxActive, `active count peaked at ${highest}, never above maxActive ${maxActive}`);
  const position = (userId: string) => Number(userId.split('-')[1]);
  const orderOk = admittedOrder.every(
    (userId, i) => i < maxActive || position(userId) >= position(admittedOrder[i - maxActive]!),
  );
  t.ok(orderOk, `admission follows arrival order (${admittedOrder.map(position).join(',')})`);
  t.equal(admittedOrder.length, 24);
  t.equal(paid, 8);

  t.ok(
    await eventually(async () => (await db.reservation.count({ where: { status: 'EXPIRED' } })) === 30, 5000),
    'the 30 lapsed holds were released',
  );
  const released =
    (await counterTotal(one, 'worker_released_holds_total')) + (await counterTotal(two, 'worker_released_holds_total'));
  t.equal(released, 30, 'each exactly once across both workers');
  t.equal(await db.seat.count({ where: { scheduleId: schedule!.id, status: 'SOLD' } }), 8);
  const admitted =
    (await counterTotal(one, 'worker_admitted_total')) + (await counterTotal(two, 'worker_admitted_total'));
  t.ok(admitted > 0, `the workers admitted ${admitted} (the rest were handed over at once on leave/pay)`);
});
