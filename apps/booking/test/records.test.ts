import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildStack } from './helper.js';

t.test("a fan's own records: reservations and payments, newest first, only theirs", async (t) => {
  const stack = await buildStack(t, { HOLD_SECONDS: 2 });
  const { app, db, concert, schedules } = stack;
  const holdUrl = `/concerts/${concert.id}/schedules/${schedules[0]!.id}/reservations`;
  const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });

  const ann = await stack.fan('ann');
  const hold = async (payload: object) =>
    (await app.inject({ method: 'POST', url: holdUrl, headers: ann.headers, payload })).json();
  const lapsing = await hold({ seatNo: 1 });
  await new Promise((resolve) => setTimeout(resolve, 2100)); // a hold that lapses (HOLD_SECONDS=2)
  const cancelled = await hold({ seatNo: 2 });
  await app.inject({ method: 'DELETE', url: `/reservations/${cancelled.reservationId}`, headers: ann.headers });
  const toRefund = await hold({ seatNos: [3, 4] });
  await app.inject({ method: 'POST', url: '/points/charge', headers: ann.headers, payload: { amount: 1_000_000 } });
  const reservationIds = toRefund.reservations.map((r: { reservationId: string }) => r.reservationId).sort();
  const firstPayment = (
    await app.inject({ method: 'POST', url: '/payments', headers: ann.headers, payload: { reservationIds } })
  ).json();
  const annId = await stack.signedIn('ann');
  await app.inject({ method: 'POST', url: `/payments/${firstPayment.paymentId}/refund`, headers: annId });
  const again = await stack.fan('ann');
  const paidHold = (
    await app.inject({ method: 'POST', url: holdUrl, headers: again.headers, payload: { seatNo: 5 } })
  ).json();
  const secondPayment = (
    await app.inject({
      method: 'POST',
      url: '/payments',
      headers: again.headers,
      payload: { reservationId: paidHold.reservationId },
    })
  ).json();
  const third = await stack.fan('ann');
  const live = (
    await app.inject({ method: 'POST', url: holdUrl, headers: third.headers, payload: { seatNo: 6 } })
  ).json();
  // Someone else's records never show.
  const bob = await stack.fan('bob');
  await app.inject({ method: 'POST', url: holdUrl, headers: bob.headers, payload: { seatNo: 7 } });

  t.test('GET /reservations: newest first, each with its status as clients see it', async (t) => {
    const response = await get('/reservations', annId);
    t.equal(response.statusCode, 200);
    const list = response.json() as { reservationId: string; status: string; paymentId: string | null }[];
    const expected = [
      [live.reservationId, 'HELD'],
      [paidHold.reservationId, 'CONFIRMED'],
      ...[...reservationIds]
        .sort()
        .reverse()
        .map((id: string) => [id, 'REFUNDED']),
      [cancelled.reservationId, 'CANCELLED'],
      [lapsing.reservationId, 'EXPIRED'],
    ];
    t.same(
      list.map((r) => [r.reservationId, r.status]),
      expected,
    );
    t.equal(list[1]!.paymentId, secondPayment.paymentId, 'with the payment that bought it');
  });

  t.test("each record says when its date starts (a fan's tickets show it anywhere)", async (t) => {
    const startsAt = schedules[0]!.startsAt.toISOString();
    const list = (await get('/reservations', annId)).json() as { startsAt: string }[];
    t.same(
      list.map((r) => r.startsAt),
      list.map(() => startsAt),
    );
    const one = await get(`/reservations/${paidHold.reservationId}`, annId);
    t.equal(one.json().startsAt, startsAt, 'GET /reservations/{id} too');
  });

  t.test('?status= filters by the status clients see', async (t) => {
    const of = async (status: string) =>
      (await get(`/reservations?status=${status}`, annId))
        .json()
        .map((r: { reservationId: string }) => r.reservationId);
    t.same(await of('HELD'), [live.reservationId]);
    t.same(await of('EXPIRED'), [lapsing.reservationId], 'a lapsed hold reads EXPIRED before any sweep');
    t.same(await of('CANCELLED'), [cancelled.reservationId]);
    t.same(await of('CONFIRMED'), [paidHold.reservationId]);
    t.same((await of('REFUNDED')).sort(), reservationIds);
    const bad = await get('/reservations?status=LOST', annId);
    t.same([bad.statusCode, bad.json().code], [400, 'VALIDATION_ERROR']);
  });

  t.test('GET /payments and /payments/{id}: newest first, with their reservations and status', async (t) => {
    const list = (await get('/payments', annId)).json();
    t.match(list, [
      {
        paymentId: secondPayment.paymentId,
        status: 'PAID',
        refundedAt: null,
        reservationIds: [paidHold.reservationId],
      },
      { paymentId: firstPayment.paymentId, status: 'REFUNDED', reservationIds, amount: 300_000 },
    ]);
    t.equal(list.length, 2);
    t.ok(Date.parse(list[1].refundedAt) >= Date.parse(list[1].paidAt));
    const one = await get(`/payments/${firstPayment.paymentId}`, third.headers);
    t.equal(one.statusCode, 200, 'a live queue token works too');
    t.same(one.json(), list[1]);
  });

  t.test("nobody sees another fan's records", async (t) => {
    const bobs = (await get('/reservations', bob.headers)).json();
    t.equal(bobs.length, 1);
    t.same((await get('/payments', bob.headers)).json(), []);
    for (const id of [firstPayment.paymentId, randomUUID(), 'nope']) {
      const response = await get(`/payments/${id}`, bob.headers);
      t.same([response.statusCode, response.json().code], [404, 'PAYMENT_NOT_FOUND'], id);
    }
    t.equal((await get('/reservations', {})).statusCode, 401);
  });

  t.test('at most 100, the newest', async (t) => {
    const schedule = schedules[1]!;
    const seats = await db.seat.findMany({ where: { scheduleId: schedule.id } });
    await db.reservation.createMany({
      data: Array.from({ length: 105 }, (_, i) => ({
        userId: 'collector',
        concertId: concert.id,
        scheduleId: schedule.id,
        seatId: seats[i % seats.length]!.id,
        seatNo: (i % seats.length) + 1,
        price: 1,
        status: 'CANCELLED' as const,
        expiresAt: new Date(),
        createdAt: new Date(Date.now() - (105 - i) * 1000),
      })),
    });
    const list = (await get('/reservations', await stack.signedIn('collector'))).json();
    t.equal(list.length, 100);
    const newest = await db.reservation.findFirstOrThrow({
      where: { userId: 'collector' },
      orderBy: { createdAt: 'desc' },
    });
    t.equal(list[0].reservationId, newest.id);
  });
});
