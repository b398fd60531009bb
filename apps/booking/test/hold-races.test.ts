import t from 'tap';
import { ApiError, type HeldSeats, type HoldRequest, type Reservation } from '@concert/contract';
import { holdSeat } from '@concert/booking-domain';
import { rows } from '@concert/db';
import { NO_VIOLATIONS } from '@concert/testing';
import { answerOf, buildStack, eventually, invariantViolations, type Stack } from './helper.js';

/** Fans racing over HTTP for `{ quantity }` on one date: the seat numbers each one got (or the error code). */
async function race(stack: Stack, fans: number, scheduleIndex: number, quantity: number) {
  const tokens = await Promise.all(Array.from({ length: fans }, (_, i) => stack.fan(`fan-${scheduleIndex}-${i}`)));
  const booking = await stack.client();
  return Promise.all(
    tokens.map(async (fan) => {
      try {
        const { status, data } = await booking.holdSeats(
          fan.token,
          stack.concert.id,
          stack.schedules[scheduleIndex]!.id,
          { quantity },
        );
        return { status, seatNos: (data as HeldSeats).reservations.map((r) => r.seatNo), code: undefined };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return { status: error.status, seatNos: [] as number[], code: error.code };
      }
    }),
  );
}

const consecutive = (seatNos: number[]) => seatNos.every((seatNo, i) => i === 0 || seatNo === seatNos[i - 1]! + 1);

t.test('200 fans race for quantity 2 on one date: 25 winners, every seat once, in pairs', async (t) => {
  const stack = await buildStack(t);
  await stack.reconcileSeats();
  const results = await race(stack, 200, 1, 2);
  const winners = results.filter((r) => r.status === 201);
  t.equal(winners.length, 25, 'floor(50 / 2) winners');
  t.same(
    [...new Set(results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.code}`))],
    ['409 NOT_ENOUGH_SEATS'],
    'every other fan: 409 NOT_ENOUGH_SEATS',
  );
  const seats = winners.flatMap((w) => w.seatNos).sort((a, b) => a - b);
  t.same(
    seats,
    Array.from({ length: 50 }, (_, i) => i + 1),
    'every seat held exactly once',
  );
  t.ok(
    winners.every((w) => w.seatNos.length === 2 && consecutive(w.seatNos)),
    'each group is two consecutive seats',
  );
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
  t.same(await stack.seatsLeft(), await stack.countedSeats(), 'seats-left figures follow exactly');
});

t.test('200 fans race for quantity 2 where taken seats split the row: the stranding rule, serialised', async (t) => {
  const stack = await buildStack(t);
  const schedule = stack.schedules[0]!;
  const blocked = [4, 8, 13, 19, 26, 34, 43];
  for (const [i, seatNo] of blocked.entries()) {
    await holdSeat({
      sql: stack.sql,
      userId: `blocker-${i}`,
      concertId: stack.concert.id,
      scheduleId: schedule.id,
      seatNo,
      holdSeconds: 3600,
      maxHolds: 4,
    });
  }
  await stack.reconcileSeats();
  // Free runs: 1–3, 5–7, 9–12, 14–18, 20–25, 27–33, 35–42, 44–50. Picked one after another, pairs
  // that strand nothing come first (lowest seats first); only then the runs of three, which must
  // strand one seat each.
  const expected = [
    [1, 2],
    [5, 6],
    [9, 10],
    [11, 12],
    [14, 15],
    [16, 17],
    [20, 21],
    [22, 23],
    [24, 25],
    [27, 28],
    [29, 30],
    [31, 32],
    [35, 36],
    [37, 38],
    [39, 40],
    [41, 42],
    [44, 45],
    [46, 47],
    [48, 49],
  ];
  const results = await race(stack, 200, 0, 2);
  const groups = results
    .filter((r) => r.status === 201)
    .map((r) => r.seatNos)
    .sort((a, b) => a[0]! - b[0]!);
  t.same(groups, expected, 'exactly the blocks serial best-available picks give, whatever the arrival order');
  t.same(
    [...new Set(results.filter((r) => r.status !== 201).map((r) => r.code))],
    ['NOT_ENOUGH_SEATS'],
    'the rest: NOT_ENOUGH_SEATS',
  );
  const free = await stack.db.seat.findMany({
    where: { scheduleId: schedule.id, status: 'AVAILABLE' },
    orderBy: { seatNo: 'asc' },
  });
  t.same(
    free.map((seat) => seat.seatNo),
    [3, 7, 18, 33, 50],
    'left free: one stranded seat per run of three, none elsewhere',
  );
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
  t.same(await stack.seatsLeft(), await stack.countedSeats(), 'seats-left figures follow exactly');
});

t.test('200 fans race for quantity 2 on a 20,000-seat date sold up to seat 19,000: the lowest 200 pairs', async (t) => {
  const stack = await buildStack(t);
  const { db, sql, concert } = stack;
  const stadium = await db.schedule.create({
    data: { concertId: concert.id, startsAt: new Date(Date.now() + 40 * 86_400_000) },
  });
  await sql.query(
    `INSERT INTO seat (id, schedule_id, seat_no, price, status)
     SELECT gen_random_uuid(), $1, n, 1000, (CASE WHEN n <= 19000 THEN 'SOLD' ELSE 'AVAILABLE' END)::"SeatStatus"
       FROM generate_series(1, 20000) AS n`,
    [stadium.id],
  );
  const schedules = [...stack.schedules, stadium];
  const results = await race({ ...stack, schedules }, 200, schedules.length - 1, 2);
  t.same([...new Set(results.map((r) => `${r.status} ${r.code ?? ''}`))], ['201 '], 'every fan holds a pair');
  t.ok(
    results.every((r) => r.seatNos.length === 2 && consecutive(r.seatNos) && r.seatNos[0]! % 2 === 1),
    'each a consecutive pair from an odd seat (nothing stranded)',
  );
  t.same(
    results.flatMap((r) => r.seatNos).sort((a, b) => a - b),
    Array.from({ length: 400 }, (_, i) => 19_001 + i),
    'seats 19,001–19,400, each once',
  );
  // The front was sold by the set-up, without payments: only the seat invariants apply.
  const { doubleHeld, doubleSold } = await invariantViolations(db);
  t.same({ doubleHeld, doubleSold }, { doubleHeld: [], doubleSold: [] }, 'no seat in two live holds');
});

t.test(
  'a fan firing 20 holds at once over HTTP never passes MAX_TICKETS_PER_USER nor MAX_HOLDS_PER_USER',
  async (t) => {
    const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 4, MAX_TICKETS_PER_USER: 6 });
    const { db, concert, schedules } = stack;
    const booking = await stack.client();
    const owned = async (userId: string) => ({
      held: await db.reservation.count({ where: { userId, status: 'HELD', expiresAt: { gt: new Date() } } }),
      paid: await db.reservation.count({ where: { userId, status: 'CONFIRMED' } }),
    });

    // Zoe already owns 3 paid seats: at most 3 more, whatever she fires at once.
    const zoe = await stack.fan('zoe');
    const first = await booking.holdSeats(zoe.token, concert.id, schedules[0]!.id, { seatNos: [1, 2, 3] });
    await booking.chargePoints(zoe.token, 1_000_000);
    const reservationIds = first.data.reservations.map((r) => r.reservationId);
    t.equal((await booking.payReservations(zoe.token, { reservationIds })).status, 201);
    const zoeAgain = await stack.fan('zoe');
    const singles = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        answerOf(booking.holdSeats(zoeAgain.token, concert.id, schedules[1]!.id, { seatNo: i + 1 })),
      ),
    );
    t.equal(singles.filter((a) => a.status === 201).length, 3, 'exactly 3 more seats: 6 owned');
    t.same(
      [...new Set(singles.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.code}`))],
      ['409 TICKET_LIMIT_REACHED'],
      'the rest: TICKET_LIMIT_REACHED',
    );
    t.same(await owned('zoe'), { held: 3, paid: 3 });

    // Yan fires 20 holds of every shape at once: never more than 4 live holds.
    const yan = await stack.fan('yan');
    const holdOnDate2 = (body: HoldRequest) =>
      answerOf<Reservation | HeldSeats>(
        'seatNo' in body
          ? booking.holdSeats(yan.token, concert.id, schedules[2]!.id, body)
          : booking.holdSeats(yan.token, concert.id, schedules[2]!.id, body),
      );
    const mixed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        holdOnDate2(i % 3 === 0 ? { seatNo: 21 + i } : i % 3 === 1 ? { seatNos: [21 + i, 45 - i] } : { quantity: 2 }),
      ),
    );
    const held = await owned('yan');
    const seatsIn201s = mixed
      .filter((a) => a.status === 201)
      .reduce((sum, a) => sum + ('reservations' in a.data! ? a.data.reservations.length : 1), 0);
    t.ok(held.held <= 4 && held.held >= 3, `at most MAX_HOLDS_PER_USER held (${held.held})`);
    t.equal(seatsIn201s, held.held, 'every 201 is a live hold, and nothing else is');
    t.same(
      mixed.filter((a) => a.status !== 201 && !['HOLD_LIMIT_REACHED', 'SEAT_UNAVAILABLE'].includes(a.code!)),
      [],
      'the rest: HOLD_LIMIT_REACHED (or a seat the others took)',
    );
    t.same(await invariantViolations(db), NO_VIOLATIONS);
  },
);

t.test(
  'best available keeps picking while a block is left: six picks lost to named holds, the seventh held',
  async (t) => {
    const stack = await buildStack(t);
    const { sql, concert, schedules } = stack;
    const schedule = schedules[0]!;
    // Six named holds, each in a transaction left open on the seat best available will pick next
    // (2, 4, ..., 12: the second seat of each pair from the front), so each pick waits on one.
    const holders = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const client = await sql.connect();
        await client.query('BEGIN');
        const [{ outcome, pid }] = (
          await client.query(
            `SELECT h.outcome, pg_backend_pid() AS pid
             FROM booking_hold_seats($1, $2, $3, $4::int[], 3600, 4, NULL) h`,
            [`named-${i}`, concert.id, schedule.id, [2 * (i + 1)]],
          )
        ).rows;
        return { client, outcome: outcome as string, pid: pid as number };
      }),
    );
    t.same(
      holders.map((h) => h.outcome),
      Array(6).fill('HELD'),
      'six seats held, not yet committed',
    );
    t.teardown(() => Promise.all(holders.map((h) => h.client.query('ROLLBACK').finally(() => h.client.release()))));

    const booking = await stack.client();
    const fan = await stack.fan('best');
    const asked = answerOf(booking.holdSeats(fan.token, concert.id, schedule.id, { quantity: 2 }));
    for (const [i, holder] of holders.entries()) {
      // The pick waits on this holder's seat; once it commits, that pick is lost and the next made.
      t.ok(await waitsOn(sql, holder.pid), `pick ${i + 1} waits on seat ${2 * (i + 1)}`);
      await holder.client.query('COMMIT');
    }
    const answer = await asked;
    t.equal(answer.status, 201, 'held, not NOT_ENOUGH_SEATS');
    t.same(
      (answer.data as HeldSeats).reservations.map((r) => r.seatNo),
      [13, 14],
      'the first pair none of the named holds touched',
    );
    t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
  },
);

/** Resolves true once some session of the test's database waits on a lock that `pid` holds. */
function waitsOn(sql: Stack['sql'], pid: number) {
  return eventually(async () => {
    const [row] = await rows<{ blocked: number }>(
      sql,
      `SELECT count(*)::int AS blocked FROM pg_stat_activity
        WHERE datname = current_database() AND $1 = ANY (pg_blocking_pids(pid))`,
      [pid],
    );
    return row!.blocked > 0;
  }, 15_000);
}
