import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { HoldRequest } from '@concert/contract';
import { NO_VIOLATIONS } from '@concert/testing';
import { answerOf, buildStack, invariantViolations, someoneWaitsOnALock } from './helper.js';

t.test('multi-seat and best-available holds', async (t) => {
  const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 4, MAX_TICKETS_PER_USER: 6 });
  const { app, db, concert, schedules } = stack;
  const holdUrl = (i = 0) => `/concerts/${concert.id}/schedules/${schedules[i]!.id}/reservations`;
  const hold = (headers: Record<string, string>, payload: object, i = 0) =>
    app.inject({ method: 'POST', url: holdUrl(i), headers, payload });
  const heldBy = (userId: string) =>
    db.reservation.findMany({ where: { userId, status: 'HELD' }, orderBy: { seatNo: 'asc' } });
  const freeOf = (i: number, seatNos: number[]) =>
    db.seat.count({ where: { scheduleId: schedules[i]!.id, seatNo: { in: seatNos }, status: 'AVAILABLE' } });

  t.test('{ seatNos }: all held together, one expiry, the sum, Location of the first', async (t) => {
    const ann = await stack.fan('ann');
    const response = await hold(ann.headers, { seatNos: [12, 11, 40] });
    t.equal(response.statusCode, 201);
    const body = response.json();
    t.same(
      body.reservations.map((r: { seatNo: number }) => r.seatNo),
      [11, 12, 40],
      'by seat number',
    );
    t.equal(body.amount, 120_000 + 120_000 + 90_000, 'the sum of the prices');
    t.ok(
      body.reservations.every(
        (r: { status: string; expiresAt: string; paymentId: null; concertId: string; scheduleId: string }) =>
          r.status === 'HELD' &&
          r.expiresAt === body.expiresAt &&
          r.paymentId === null &&
          r.concertId === concert.id &&
          r.scheduleId === schedules[0]!.id,
      ),
      'one expiry for the group',
    );
    t.equal(response.headers.location, `/reservations/${body.reservations[0].reservationId}`);
    const stored = await heldBy('ann');
    t.same(
      stored.map((r) => [r.id, r.seatNo, r.expiresAt.toISOString()]),
      body.reservations.map((r: { reservationId: string; seatNo: number }) => [
        r.reservationId,
        r.seatNo,
        body.expiresAt,
      ]),
      'as stored, to the millisecond',
    );
  });

  t.test('all or nothing, refused before any lock: one taken seat → 409 naming it, nothing held', async (t) => {
    const bob = await stack.fan('bob');
    const taken = await hold(bob.headers, { seatNos: [13, 12, 14] });
    t.same([taken.statusCode, taken.json().code], [409, 'SEAT_UNAVAILABLE']);
    t.match(taken.json().message, /Seat 12 /, 'names the taken seat');
    const missing = await hold(bob.headers, { seatNos: [13, 51] });
    t.same([missing.statusCode, missing.json().code], [404, 'SEAT_NOT_FOUND']);
    t.match(missing.json().message, /Seat 51 /);
    t.same(await heldBy('bob'), [], 'bob holds nothing');
    t.equal(await freeOf(0, [13, 14]), 2, 'the free seats of the refused request are still free');
  });

  t.test('all or nothing, refused by the hold itself (Idempotency-Key): nothing held', async (t) => {
    const bob = await stack.fan('bob');
    const taken = await hold({ ...bob.headers, 'idempotency-key': randomUUID() }, { seatNos: [13, 12, 14] });
    t.same([taken.statusCode, taken.json().code], [409, 'SEAT_UNAVAILABLE']);
    t.match(taken.json().message, /Seat 12 /);
    t.same(await heldBy('bob'), [], 'bob holds nothing');
    t.equal(await freeOf(0, [13, 14]), 2, 'seats 13 and 14 still free');
  });

  t.test('all or nothing, a seat taken between the check and the lock: nothing held', async (t) => {
    // Cid's hold of seat 22 is written but not committed: the quick check sees it free, the hold
    // waits on its lock and, once it commits, refuses the whole request.
    const cid = await stack.sql.connect();
    t.teardown(() => cid.release());
    await cid.query('BEGIN');
    const [{ outcome }] = (
      await cid.query('SELECT outcome FROM booking_hold_seats($1, $2, $3, $4::int[], 300, 4, NULL)', [
        'cid',
        concert.id,
        schedules[0]!.id,
        [22],
      ])
    ).rows;
    t.equal(outcome, 'HELD');
    const booking = await stack.client();
    const dee = await stack.fan('dee');
    const asked = answerOf(booking.holdSeats(dee.token, concert.id, schedules[0]!.id, { seatNos: [21, 22, 23] }));
    t.ok(await someoneWaitsOnALock(stack.sql), 'the hold waits on seat 22');
    await cid.query('COMMIT');
    const answer = await asked;
    t.same([answer.status, answer.code], [409, 'SEAT_UNAVAILABLE']);
    t.match(answer.error!.message, /Seat 22 /);
    t.same(await heldBy('dee'), [], 'dee holds nothing');
    t.equal(await freeOf(0, [21, 23]), 2, 'seats 21 and 23 still free');
  });

  t.test('the same answer with and without Idempotency-Key, for every refusal', async (t) => {
    // Another concert (its own queue) with a date where seat 5 is taken; a past date of this one.
    const other = await db.concert.create({
      data: {
        title: 'Elsewhere',
        queue: { create: { id: 'elsewhere', maxActive: 10, activeTtlSeconds: 60, abandonAfterSeconds: 300 } },
        schedules: {
          create: {
            startsAt: new Date(Date.now() + 7 * 86_400_000),
            seats: { create: [1, 2, 3, 4, 5, 6].map((seatNo) => ({ seatNo, price: 100 })) },
          },
        },
      },
      include: { schedules: true },
    });
    const elsewhere = other.schedules[0]!.id;
    // Taken = held by a live hold (a sold seat without its payment would break the invariants).
    const takenUntil = new Date(Date.now() + 3_600_000);
    await db.seat.updateMany({
      where: { scheduleId: elsewhere, seatNo: 5 },
      data: { status: 'HELD', holdExpiresAt: takenUntil },
    });
    const past = await db.schedule.create({
      data: {
        concertId: concert.id,
        startsAt: new Date(Date.now() - 3_600_000),
        seats: {
          create: [
            { seatNo: 1, price: 100, status: 'HELD', holdExpiresAt: takenUntil },
            { seatNo: 2, price: 100 },
          ],
        },
      },
    });
    // Seat 12 of the first date is held (by ann, above); seat 40 too.
    const cases: { name: string; scheduleId: string; body: HoldRequest; answer: [number, string, RegExp?] }[] = [
      {
        name: 'a taken seat of another concert’s date',
        scheduleId: elsewhere,
        body: { seatNo: 5 },
        answer: [404, 'SCHEDULE_NOT_FOUND'],
      },
      {
        name: 'a free seat of another concert’s date',
        scheduleId: elsewhere,
        body: { seatNos: [1, 2] },
        answer: [404, 'SCHEDULE_NOT_FOUND'],
      },
      {
        name: 'best available on another concert’s date',
        scheduleId: elsewhere,
        body: { quantity: 1 },
        answer: [404, 'SCHEDULE_NOT_FOUND'],
      },
      {
        name: 'a taken seat of a past date',
        scheduleId: past.id,
        body: { seatNo: 1 },
        answer: [404, 'SCHEDULE_NOT_FOUND'],
      },
      {
        name: 'best available on a past date',
        scheduleId: past.id,
        body: { quantity: 2 },
        answer: [404, 'SCHEDULE_NOT_FOUND'],
      },
      { name: 'no such date', scheduleId: randomUUID(), body: { seatNo: 1 }, answer: [404, 'SCHEDULE_NOT_FOUND'] },
      {
        name: 'a date id of no shape',
        scheduleId: 'no-such-date',
        body: { quantity: 1 },
        answer: [404, 'SCHEDULE_NOT_FOUND'],
      },
      {
        name: 'a missing seat before a taken one',
        scheduleId: schedules[0]!.id,
        body: { seatNos: [12, 51] },
        answer: [404, 'SEAT_NOT_FOUND', /Seat 51 /],
      },
      {
        name: 'the lowest missing seat',
        scheduleId: schedules[0]!.id,
        body: { seatNos: [60, 51, 1] },
        answer: [404, 'SEAT_NOT_FOUND', /Seat 51 /],
      },
      {
        name: 'the lowest taken seat',
        scheduleId: schedules[0]!.id,
        body: { seatNos: [40, 13, 12] },
        answer: [409, 'SEAT_UNAVAILABLE', /Seat 12 /],
      },
      {
        name: 'one taken seat',
        scheduleId: schedules[0]!.id,
        body: { seatNo: 40 },
        answer: [409, 'SEAT_UNAVAILABLE', /Seat 40 /],
      },
      {
        name: 'no block within the price',
        scheduleId: schedules[0]!.id,
        body: { quantity: 2, maxPrice: 1 },
        answer: [409, 'NOT_ENOUGH_SEATS'],
      },
    ];
    const eve = await stack.fan('eve');
    for (const { name, scheduleId, body, answer } of cases) {
      const url = `/concerts/${concert.id}/schedules/${scheduleId}/reservations`;
      const quick = await app.inject({ method: 'POST', url, headers: eve.headers, payload: body });
      const keyed = await app.inject({
        method: 'POST',
        url,
        headers: { ...eve.headers, 'idempotency-key': randomUUID() },
        payload: body,
      });
      t.same([quick.statusCode, quick.json().code], answer.slice(0, 2), `${name}: without a key`);
      if (answer[2]) t.match(quick.json().message, answer[2], `${name}: names the seat`);
      t.same(keyed.json(), quick.json(), `${name}: with a key, the same answer`);
    }
    t.same(await heldBy('eve'), [], 'nothing held anywhere');
    t.equal(await db.reservation.count({ where: { scheduleId: elsewhere } }), 0, 'nothing held on the other concert');
  });

  t.test('{ seatNo } keeps the single-reservation body', async (t) => {
    const cat = await stack.fan('cat');
    const response = await hold(cat.headers, { seatNo: 20 });
    t.equal(response.statusCode, 201);
    t.match(response.json(), { seatNo: 20, status: 'HELD', price: 120_000 });
    t.notOk('reservations' in response.json());
  });

  t.test('{ quantity, maxPrice }: the best consecutive seats within the price', async (t) => {
    const dan = await stack.fan('dan');
    // Date 2 is empty: the two front seats. With a cap under the front price: from seat 11 on.
    const front = await hold(dan.headers, { quantity: 2 }, 1);
    t.same(
      front.json().reservations.map((r: { seatNo: number }) => r.seatNo),
      [1, 2],
    );
    const cheap = await hold(dan.headers, { quantity: 2, maxPrice: 120_000 }, 1);
    t.equal(cheap.statusCode, 201);
    t.same(
      cheap.json().reservations.map((r: { seatNo: number }) => r.seatNo),
      [11, 12],
    );
    t.equal(cheap.json().amount, 240_000);
    const eve = await stack.fan('eve');
    const none = await hold(eve.headers, { quantity: 3, maxPrice: 1000 }, 1);
    t.same([none.statusCode, none.json().code], [409, 'NOT_ENOUGH_SEATS']);
  });

  t.test('validation: sizes within MAX_HOLDS_PER_USER, distinct seats, one shape', async (t) => {
    const fay = await stack.fan('fay');
    for (const payload of [
      { seatNos: [] },
      { seatNos: [1, 1] },
      { seatNos: [1, 2, 3, 4, 5] },
      { quantity: 0 },
      { quantity: 5 },
      { quantity: 2, maxPrice: -1 },
      { seatNo: 1, quantity: 2 },
      { seatNos: [1], seatNo: 1 },
      { quantity: 2, extra: true },
    ]) {
      const bad = await hold(fay.headers, payload);
      t.same([bad.statusCode, bad.json().code], [400, 'VALIDATION_ERROR'], JSON.stringify(payload));
    }
    t.same(await heldBy('fay'), []);
  });

  t.test('per-fan limits: held + paid seats of a concert, live holds at once', async (t) => {
    const gus = await stack.fan('gus');
    const first = await hold(gus.headers, { seatNos: [30, 31, 32] }, 2);
    await app.inject({ method: 'POST', url: '/points/charge', headers: gus.headers, payload: { amount: 1_000_000 } });
    const paid = await app.inject({
      method: 'POST',
      url: '/payments',
      headers: gus.headers,
      payload: { reservationIds: first.json().reservations.map((r: { reservationId: string }) => r.reservationId) },
    });
    t.equal(paid.statusCode, 201, '3 seats paid');
    const gusAgain = await stack.fan('gus');
    t.equal((await hold(gusAgain.headers, { seatNos: [33, 34] }, 2)).statusCode, 201, '5 of 6');
    const over = await hold(gusAgain.headers, { seatNos: [35, 36] }, 2);
    t.same([over.statusCode, over.json().code], [409, 'TICKET_LIMIT_REACHED'], '7 would pass MAX_TICKETS_PER_USER');
    const best = await hold(gusAgain.headers, { quantity: 2 }, 1);
    t.same([best.statusCode, best.json().code], [409, 'TICKET_LIMIT_REACHED'], 'any date of the concert counts');
    t.equal((await hold(gusAgain.headers, { seatNo: 35 }, 2)).statusCode, 201, 'the sixth seat');
    const hank = await stack.fan('hank');
    t.equal((await hold(hank.headers, { seatNos: [41, 42, 43] }, 2)).statusCode, 201);
    const holds = await hold(hank.headers, { seatNos: [44, 45] }, 2);
    t.same([holds.statusCode, holds.json().code], [409, 'HOLD_LIMIT_REACHED'], 'a fifth live hold');
  });

  t.test('invariants hold in the database', async (t) => {
    t.same(await invariantViolations(db), NO_VIOLATIONS);
  });
});
