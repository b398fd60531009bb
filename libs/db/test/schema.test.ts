import { readFileSync } from 'node:fs';
import t from 'tap';
import { resolveTestServices } from '@concert/test-services';
import {
  createPrismaClient,
  DEMO_CONCERT,
  DEMO_SEATS_PER_SCHEDULE,
  dropDatabase,
  ensureDatabase,
  migrate,
  seedDemoData,
} from '../src/index.js';

/** A migrated database of this test's own, dropped afterwards (db's own functions, end to end). */
async function migratedDatabase(t: { teardown(fn: () => unknown): void }) {
  const { databaseUrl } = await resolveTestServices();
  const url = new URL(databaseUrl);
  url.pathname = `/concert_schema_${Math.random().toString(36).slice(2, 10)}`;
  await ensureDatabase(url.toString());
  await migrate({ databaseUrl: url.toString() });
  const db = createPrismaClient(url.toString(), { poolSize: 4 });
  t.teardown(async () => {
    await db.$disconnect();
    await dropDatabase(url.toString());
  });
  return { db };
}

// Every model through the generated client against the migrated database: a drift between
// schema.prisma and the hand-written SQL shows up here as a failing query.
t.test('every model round-trips through the generated client', async (t) => {
  const { db } = await migratedDatabase(t);

  const queue = await db.queue.create({
    data: {
      id: 'q-schema',
      maxActive: 5,
      activeTtlSeconds: 60,
      abandonAfterSeconds: 300,
      opensAt: new Date(),
      maxActivePerSeat: 1.5,
      drawSeed: 'ab'.repeat(32),
      drawOpensAt: new Date(),
    },
  });
  t.match(queue, { paused: false, admitPerMinute: null, maxActivePerSeat: 1.5, drawSeed: 'ab'.repeat(32) });
  await t.rejects(
    db.concert.create({ data: { title: 'T', queueId: 'no-such-queue' } }),
    "a concert's queue must be a stored queue",
  );
  const concert = await db.concert.create({ data: { title: 'T', queueId: queue.id } });
  const schedule = await db.schedule.create({
    data: { concertId: concert.id, startsAt: new Date(Date.now() + 86_400_000) },
  });
  const seat = await db.seat.create({ data: { scheduleId: schedule.id, seatNo: 1, price: 100 } });
  t.equal(seat.status, 'AVAILABLE');
  await t.rejects(
    db.seat.create({ data: { scheduleId: schedule.id, seatNo: 1, price: 100 } }),
    'seats are unique per (schedule, seat number)',
  );
  const payment = await db.payment.create({ data: { userId: 'u', amount: 100 } });
  const reservation = await db.reservation.create({
    data: {
      userId: 'u',
      concertId: concert.id,
      scheduleId: schedule.id,
      seatId: seat.id,
      seatNo: 1,
      price: 100,
      expiresAt: new Date(),
      status: 'CONFIRMED',
      paymentId: payment.id,
    },
  });
  t.equal(reservation.status, 'CONFIRMED');
  const balance = await db.pointBalance.create({ data: { userId: 'u', balance: 5 } });
  t.equal(balance.balance, 5);
  const entry = await db.pointTransaction.create({ data: { userId: 'u', type: 'CHARGE', amount: 5, balanceAfter: 5 } });
  t.type(entry.id, 'bigint');
  const record = await db.idempotencyRecord.create({
    data: { userId: 'u', scope: 's', key: 'k', requestHash: 'h', statusCode: 200, responseBody: { ok: true } },
  });
  t.same(record.responseBody, { ok: true });

  // Booking v2: refunds (payment status, REFUNDED reservations, REFUND ledger rows) and the outbox.
  t.equal(payment.status, 'PAID', 'a payment is PAID until refunded');
  t.equal(payment.refundedAt, null);
  const refunded = await db.payment.update({
    where: { id: payment.id },
    data: {
      status: 'REFUNDED',
      refundedAt: new Date(),
      reservations: { updateMany: { where: {}, data: { status: 'REFUNDED' } } },
    },
    include: { reservations: true },
  });
  t.match(refunded, { status: 'REFUNDED', reservations: [{ status: 'REFUNDED' }] });
  t.type(refunded.refundedAt, Date);
  const credit = await db.pointTransaction.create({
    data: { userId: 'u', type: 'REFUND', amount: 100, balanceAfter: 105, paymentId: payment.id },
  });
  t.equal(credit.type, 'REFUND');
  const effect = await db.outboxEffect.create({
    data: { queueId: queue.id, payload: { endToken: { userId: 'u', tokenId: '1', issuedAt: 1 } } },
  });
  t.type(effect.id, 'bigint');
  t.match(await db.outboxEffect.findUniqueOrThrow({ where: { id: effect.id } }), {
    queueId: queue.id,
    payload: { endToken: { userId: 'u' } },
  });
  await db.outboxEffect.create({ data: { queueId: queue.id, payload: { seats: { left: -1, held: 1 } } } });
  t.equal(await db.outboxEffect.count({ where: { queueId: queue.id } }), 2);
  t.same(await db.payment.findMany({ where: { userId: 'u' }, orderBy: { paidAt: 'desc' }, select: { id: true } }), [
    { id: payment.id },
  ]);
  const withRelations = await db.schedule.findUniqueOrThrow({
    where: { id: schedule.id },
    include: { seats: true, reservations: true, concert: true },
  });
  t.equal(withRelations.seats.length, 1);
  t.equal(withRelations.reservations[0]!.paymentId, payment.id);
});

// Indexes are not seen by the round trip: the partial one best available reads (its predicate is
// raw SQL in the schema) is checked on both sides.
t.test('the seats best available reads: a partial index of unsold seats, as schema.prisma declares it', async (t) => {
  const { db } = await migratedDatabase(t);
  const schema = readFileSync(new URL('../../../prisma/schema.prisma', import.meta.url), 'utf8');
  t.match(schema, `@@index([scheduleId, seatNo], where: raw("status <> 'SOLD'"))`, 'declared in schema.prisma');
  const indexes = await db.$queryRaw<{ indexdef: string }[]>`
    SELECT indexdef FROM pg_indexes WHERE tablename = 'seat' AND indexname = 'seat_schedule_id_seat_no_idx'`;
  t.same(
    indexes.map((index) => index.indexdef),
    [
      `CREATE INDEX seat_schedule_id_seat_no_idx ON public.seat USING btree (schedule_id, seat_no) WHERE (status <> 'SOLD'::"SeatStatus")`,
    ],
    'created by the migrations, under the name Prisma gives it',
  );
});

t.test('the demo seed is idempotent: one concert, three future dates of 50 seats', async (t) => {
  const { db } = await migratedDatabase(t);
  const first = await seedDemoData(db);
  t.equal(first.createdSchedules.length, 3);
  const again = await Promise.all([seedDemoData(db), seedDemoData(db)]);
  t.same(
    again.map((r) => r.createdSchedules.length),
    [0, 0],
    'running again (even concurrently) adds nothing',
  );
  t.equal(await db.concert.count(), 1);
  t.equal((await db.concert.findFirstOrThrow()).queueId, DEMO_CONCERT.queueId);
  const schedules = await db.schedule.findMany({ include: { seats: { orderBy: { seatNo: 'asc' } } } });
  t.equal(schedules.length, 3);
  for (const schedule of schedules) {
    t.ok(schedule.startsAt.getTime() > Date.now(), 'in the future');
    t.same(
      schedule.seats.map((s) => s.seatNo),
      Array.from({ length: DEMO_SEATS_PER_SCHEDULE }, (_, i) => i + 1),
    );
    t.ok(schedule.seats.every((s) => s.price > 0));
  }
  const later = new Date(schedules[0]!.startsAt.getTime() + 1000);
  t.equal(
    (await seedDemoData(db, { now: later })).createdSchedules.length,
    1,
    'when a date passes, a new one is added',
  );
});
