import t from 'tap';
import { NO_VIOLATIONS } from '@concert/testing';
import { buildStack, invariantViolations } from './helper.js';

t.test('multi-seat and best-available holds', async (t) => {
  const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 4, MAX_TICKETS_PER_USER: 6 });
  const { app, db, concert, schedules } = stack;
  const holdUrl = (i = 0) => `/concerts/${concert.id}/schedules/${schedules[i]!.id}/reservations`;
  const hold = (headers: Record<string, string>, payload: object, i = 0) =>
    app.inject({ method: 'POST', url: holdUrl(i), headers, payload });
  const heldBy = (userId: string) =>
    db.reservation.findMany({ where: { userId, status: 'HELD' }, orderBy: { seatNo: 'asc' } });

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

  t.test('all or nothing: one taken seat → 409 naming it, nothing held', async (t) => {
    const bob = await stack.fan('bob');
    const taken = await hold(bob.headers, { seatNos: [13, 12, 14] });
    t.same([taken.statusCode, taken.json().code], [409, 'SEAT_UNAVAILABLE']);
    t.match(taken.json().message, /Seat 12 /, 'names the taken seat');
    const missing = await hold(bob.headers, { seatNos: [13, 51] });
    t.same([missing.statusCode, missing.json().code], [404, 'SEAT_NOT_FOUND']);
    t.match(missing.json().message, /Seat 51 /);
    t.same(await heldBy('bob'), [], 'bob holds nothing');
    t.equal(
      await db.seat.count({ where: { scheduleId: schedules[0]!.id, seatNo: { in: [13, 14] }, status: 'AVAILABLE' } }),
      2,
      'the free seats of the refused request are still free',
    );
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
