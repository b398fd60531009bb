import t from 'tap';
import { holdSeat, payReservations, chargePoints } from '@concert/booking-domain';
import { rows, seedDemoData } from '@concert/db';
import { createSeatsLeft, seatKeys } from '@concert/queue';
import { counterTotal, eventually, startWorker, workerContext } from './helper.js';

/** The demo queue's seat counts as PostgreSQL has them (future dates; AVAILABLE, HELD). */
async function countedSeats(sql: Parameters<typeof rows>[0], queueId: string) {
  const [counts] = await rows<{ left: number; held: number }>(
    sql,
    `SELECT (count(*) FILTER (WHERE s.status = 'AVAILABLE'))::int AS "left",
            (count(*) FILTER (WHERE s.status = 'HELD'))::int AS held
       FROM seat s JOIN schedule sc ON sc.id = s.schedule_id AND sc.starts_at > now()
       JOIN concert c ON c.id = sc.concert_id WHERE c.queue_id = $1`,
    [queueId],
  );
  return counts!;
}

t.test('the worker sets the seats-left figures, keeps them through lapsed holds, and heals drift', async (t) => {
  const context = await workerContext(t, { SWEEP_INTERVAL_MS: 1000 });
  const { db, sql, redis, config } = context;
  const { concert } = await seedDemoData(db);
  const schedules = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
  const seats = createSeatsLeft({ redis, prefix: config.REDIS_PREFIX });
  const exact = () =>
    eventually(async () => {
      const [figures, counted] = [await seats.read(concert.queueId), await countedSeats(sql, concert.queueId)];
      return figures?.left === counted.left && figures.held === counted.held;
    });

  const app = await startWorker(t, context);
  t.ok(await exact(), 'the reconciliation sets them from PostgreSQL');
  t.same(await seats.read(concert.queueId), { left: 150, held: 0 });

  for (const seatNo of [1, 2, 3])
    await holdSeat({
      sql,
      userId: `u${seatNo}`,
      concertId: concert.id,
      scheduleId: schedules[0]!.id,
      seatNo,
      holdSeconds: 1,
      maxHolds: 4,
    });
  t.ok(
    await eventually(async () => (await seats.read(concert.queueId))?.held === 3),
    'holds whose request never applied them: applied from the outbox',
  );
  t.ok(
    await eventually(async () => (await seats.read(concert.queueId))?.held === 0, 8000),
    'the lapsed holds released, and the figures follow',
  );
  t.ok(await exact());
  t.ok(await eventually(async () => (await db.outboxEffect.count()) === 0), 'the outbox is swept');

  await redis.hset(seatKeys(config.REDIS_PREFIX, concert.queueId).seats, 'left', 3);
  t.ok(await exact(), 'drift corrected by the next reconciliation');
  t.ok((await counterTotal(app, 'worker_corrected_seat_figures_total')) >= 1, 'and counted');
});

t.test('figures Redis lost are counted again within a tick, not a reconciliation period', async (t) => {
  const context = await workerContext(t, { SWEEP_INTERVAL_MS: 600_000 });
  const { db, sql, redis, config } = context;
  const { concert } = await seedDemoData(db);
  const seats = createSeatsLeft({ redis, prefix: config.REDIS_PREFIX });
  await startWorker(t, context);
  t.ok(await eventually(async () => (await seats.read(concert.queueId)) !== null), 'set at start');
  await redis.del(seatKeys(config.REDIS_PREFIX, concert.queueId).seats); // Redis restarted empty
  t.ok(
    await eventually(async () => (await seats.read(concert.queueId))?.left === 150, 3000),
    'back within a few ticks',
  );
  t.same(await seats.read(concert.queueId), await countedSeats(sql, concert.queueId));
});

t.test('a payment committed by a process that died before ending the token: the worker ends it', async (t) => {
  const context = await workerContext(t);
  const { db, sql, issuer, waitingRoom } = context;
  const { concert } = await seedDemoData(db);
  const [schedule] = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
  await issuer.configure(concert.queueId, { maxActive: 10 });
  const fan = await issuer.join(concert.queueId, 'ivy');
  t.equal(fan.status, 'ACTIVE');
  const held = await holdSeat({
    sql,
    userId: 'ivy',
    concertId: concert.id,
    scheduleId: schedule!.id,
    seatNo: 5,
    holdSeconds: 300,
    maxHolds: 4,
  });
  await chargePoints({ sql, userId: 'ivy', amount: 1_000_000, maxBalance: 100_000_000 });
  // What booking's payment route commits; the process "dies" here, before applying the effects.
  const paid = await payReservations({
    sql,
    userId: 'ivy',
    queueId: concert.queueId,
    reservationIds: [held.reservationId],
    token: fan.claims,
  });
  t.match(
    paid.effects,
    [{ queueId: concert.queueId, endToken: { userId: 'ivy' }, seats: { left: 0, held: -1 } }],
    'recorded with the payment',
  );
  t.equal((await waitingRoom.status(concert.queueId, fan.claims))?.status, 'ACTIVE', 'the token still lives');

  await startWorker(t, context);
  t.ok(
    await eventually(async () => (await waitingRoom.status(concert.queueId, fan.claims)) === null),
    'the worker ended the paying token',
  );
  t.ok(await eventually(async () => (await db.outboxEffect.count()) === 0), 'and swept the outbox');
});
