import { randomUUID } from 'node:crypto';
import t from 'tap';
import { NO_VIOLATIONS } from '@concert/testing';
import { buildStack, invariantViolations, type Stack } from './helper.js';

/** A fan who holds `seatNos` of date `dateIndex`, charged `points`, and paid for them. */
async function paidSeats(stack: Stack, userId: string, seatNos: number[], dateIndex = 0, points = 1_000_000) {
  const { app, concert, schedules } = stack;
  const fan = await stack.fan(userId);
  const held = await app.inject({
    method: 'POST',
    url: `/concerts/${concert.id}/schedules/${schedules[dateIndex]!.id}/reservations`,
    headers: fan.headers,
    payload: { seatNos },
  });
  if (held.statusCode !== 201) throw new Error(`hold failed: ${held.body}`);
  await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: points } });
  const reservationIds = held.json().reservations.map((r: { reservationId: string }) => r.reservationId);
  const paid = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: fan.headers,
    payload: { reservationIds },
  });
  if (paid.statusCode !== 201) throw new Error(`payment failed: ${paid.body}`);
  return { paymentId: paid.json().paymentId as string, amount: paid.json().amount as number, reservationIds };
}

t.test('refunds', async (t) => {
  const stack = await buildStack(t);
  const { app, db } = stack;
  const refund = (headers: Record<string, string>, paymentId: string) =>
    app.inject({ method: 'POST', url: `/payments/${paymentId}/refund`, headers });
  await stack.reconcileSeats();

  t.test('a whole payment: points back with one REFUND row, reservations REFUNDED, seats free', async (t) => {
    const { paymentId, amount, reservationIds } = await paidSeats(stack, 'ann', [1, 2]);
    const ann = await stack.signedIn('ann');
    const response = await refund(ann, paymentId);
    t.equal(response.statusCode, 200);
    const body = response.json();
    t.match(body, { paymentId, amount: 300_000, balance: 1_000_000, status: 'REFUNDED' });
    t.equal(amount, 300_000);
    t.ok(Date.parse(body.refundedAt) > 0);

    t.same(
      (await db.reservation.findMany({ where: { id: { in: reservationIds } } })).map((r) => r.status),
      ['REFUNDED', 'REFUNDED'],
    );
    const seats = await db.seat.findMany({ where: { scheduleId: stack.schedules[0]!.id, seatNo: { in: [1, 2] } } });
    t.ok(
      seats.every((s) => s.status === 'AVAILABLE' && s.reservationId === null),
      'seats AVAILABLE again',
    );
    const refunds = await db.pointTransaction.findMany({ where: { userId: 'ann', type: 'REFUND' } });
    t.match(refunds, [{ amount: 300_000, balanceAfter: 1_000_000, paymentId }], 'one REFUND row');
    t.match((await app.inject({ method: 'GET', url: '/points/transactions', headers: ann })).json()[0], {
      type: 'REFUND',
      amount: 300_000,
    });
    t.match((await app.inject({ method: 'GET', url: `/payments/${paymentId}`, headers: ann })).json(), {
      status: 'REFUNDED',
      refundedAt: body.refundedAt,
    });
    t.equal(
      (await app.inject({ method: 'GET', url: `/reservations/${reservationIds[0]}`, headers: ann })).json().status,
      'REFUNDED',
    );
    t.same(await stack.seatsLeft(), await stack.countedSeats(), 'seats-left counts them at once');

    const bob = await stack.fan('bob');
    const again = await app.inject({
      method: 'POST',
      url: `/concerts/${stack.concert.id}/schedules/${stack.schedules[0]!.id}/reservations`,
      headers: bob.headers,
      payload: { seatNos: [1, 2] },
    });
    t.equal(again.statusCode, 201, 'someone else can hold them');

    const twice = await refund(ann, paymentId);
    t.same([twice.statusCode, twice.json().code], [409, 'PAYMENT_ALREADY_REFUNDED']);
  });

  t.test('20 concurrent refunds of one payment: one refund, one REFUND row', async (t) => {
    const { paymentId } = await paidSeats(stack, 'cat', [3, 4, 5]);
    const cat = await stack.signedIn('cat');
    const responses = await Promise.all(Array.from({ length: 20 }, () => refund(cat, paymentId)));
    t.equal(responses.filter((r) => r.statusCode === 200).length, 1, 'one 200');
    t.ok(
      responses.filter((r) => r.statusCode !== 200).every((r) => r.json().code === 'PAYMENT_ALREADY_REFUNDED'),
      '19 × 409 PAYMENT_ALREADY_REFUNDED',
    );
    t.equal(await db.pointTransaction.count({ where: { userId: 'cat', type: 'REFUND' } }), 1);
    t.equal((await db.pointBalance.findUniqueOrThrow({ where: { userId: 'cat' } })).balance, 1_000_000);
  });

  t.test('Idempotency-Key: concurrent retries refund once, a later retry gets the first answer', async (t) => {
    const { paymentId } = await paidSeats(stack, 'dan', [6]);
    const dan = { ...(await stack.signedIn('dan')), 'idempotency-key': 'refund-once' };
    const burst = await Promise.all(Array.from({ length: 20 }, () => refund(dan, paymentId)));
    const first = burst.find((r) => r.statusCode === 200 && !r.headers['idempotent-replayed'])!;
    t.ok(first, 'one refund');
    t.ok(
      burst.every(
        (r) =>
          r.statusCode === 200 ||
          (r.statusCode === 409 && ['IDEMPOTENCY_KEY_IN_FLIGHT', 'PAYMENT_ALREADY_REFUNDED'].includes(r.json().code)),
      ),
      'the others: the first answer, or "in flight"',
    );
    const replay = await refund(dan, paymentId);
    t.equal(replay.statusCode, 200);
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.same(replay.json(), first.json());
    t.equal(await db.pointTransaction.count({ where: { userId: 'dan', type: 'REFUND' } }), 1);
    const reused = await app.inject({
      method: 'POST',
      url: `/payments/${randomUUID()}/refund`,
      headers: dan,
    });
    t.same([reused.statusCode, reused.json().code], [422, 'IDEMPOTENCY_KEY_REUSED'], 'the key names this payment');
  });

  t.test('someone else’s payment, or no payment: 404 PAYMENT_NOT_FOUND', async (t) => {
    const { paymentId } = await paidSeats(stack, 'eve', [7]);
    const mallory = await stack.signedIn('mallory');
    for (const id of [paymentId, randomUUID(), 'not-a-payment']) {
      const response = await refund(mallory, id);
      t.same([response.statusCode, response.json().code], [404, 'PAYMENT_NOT_FOUND'], id);
    }
    t.equal((await db.payment.findUniqueOrThrow({ where: { id: paymentId } })).status, 'PAID', 'untouched');
    const noToken = await app.inject({ method: 'POST', url: `/payments/${paymentId}/refund` });
    t.equal(noToken.statusCode, 401);
    const body = await app.inject({
      method: 'POST',
      url: `/payments/${paymentId}/refund`,
      headers: await stack.signedIn('eve'),
      payload: { amount: 1 },
    });
    t.same([body.statusCode, body.json().code], [400, 'VALIDATION_ERROR'], 'a refund takes no body');
  });

  t.test('closed within REFUND_CUTOFF_HOURS of any of its dates', async (t) => {
    const soon = await db.schedule.create({
      data: {
        concertId: stack.concert.id,
        startsAt: new Date(Date.now() + 3 * 3_600_000),
        seats: { create: [{ seatNo: 1, price: 1000 }] },
      },
    });
    const fan = await stack.fan('fay');
    const held = await app.inject({
      method: 'POST',
      url: `/concerts/${stack.concert.id}/schedules/${soon.id}/reservations`,
      headers: fan.headers,
      payload: { seatNo: 1 },
    });
    await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 5000 } });
    const paid = await app.inject({
      method: 'POST',
      url: '/payments',
      headers: fan.headers,
      payload: { reservationId: held.json().reservationId },
    });
    const closed = await refund(await stack.signedIn('fay'), paid.json().paymentId);
    t.same([closed.statusCode, closed.json().code], [409, 'REFUND_WINDOW_CLOSED'], 'a date 3 h away, cut-off 24 h');
    t.equal((await db.pointBalance.findUniqueOrThrow({ where: { userId: 'fay' } })).balance, 4000, 'nothing credited');
  });

  t.test('invariants hold in the database', async (t) => {
    t.same(await invariantViolations(db), NO_VIOLATIONS);
  });
});

t.test('ledger sums hold for every user after a storm of charges, holds, payments and refunds', async (t) => {
  const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 4, MAX_TICKETS_PER_USER: 8 });
  const { app, concert, schedules } = stack;
  await stack.reconcileSeats();
  const users = Array.from({ length: 12 }, (_, i) => `storm-${i}`);
  const hold = (headers: Record<string, string>, seatNos: number[], date: number) =>
    app.inject({
      method: 'POST',
      url: `/concerts/${concert.id}/schedules/${schedules[date]!.id}/reservations`,
      headers,
      payload: { seatNos },
    });
  const charge = (headers: Record<string, string>, amount: number) =>
    app.inject({ method: 'POST', url: '/points/charge', headers, payload: { amount } });
  const pay = (headers: Record<string, string>, response: { statusCode: number; json(): unknown }) =>
    response.statusCode === 201
      ? app.inject({
          method: 'POST',
          url: '/payments',
          headers,
          payload: {
            reservationIds: (response.json() as { reservations: { reservationId: string }[] }).reservations.map(
              (r) => r.reservationId,
            ),
          },
        })
      : Promise.resolve(undefined);
  const refund = (headers: Record<string, string>, paid: { statusCode: number; json(): unknown } | undefined) =>
    paid?.statusCode === 201
      ? app.inject({
          method: 'POST',
          url: `/payments/${(paid.json() as { paymentId: string }).paymentId}/refund`,
          headers,
        })
      : Promise.resolve(undefined);

  const outcomes = await Promise.all(
    users.map(async (userId, u) => {
      const fan = await stack.fan(userId);
      const signedIn = await stack.signedIn(userId);
      // Seats overlap between neighbours on purpose: some holds lose.
      const [a] = await Promise.all([
        hold(fan.headers, [u * 3 + 1, u * 3 + 2], 0),
        charge(fan.headers, 150_000),
        charge(signedIn, 90_000),
        charge(fan.headers, 70_000),
      ]);
      const [paidA, b] = await Promise.all([
        pay(fan.headers, a),
        hold(fan.headers, [u * 3 + 2, u * 3 + 3], 1),
        charge(signedIn, 300_000),
      ]);
      const fan2 = await stack.fan(userId);
      const [c] = await Promise.all([
        hold(fan2.headers, [u * 3 + 3, u * 3 + 4], 0),
        refund(signedIn, paidA),
        refund(signedIn, paidA),
        refund(fan2.headers, paidA),
      ]);
      const [paidC] = await Promise.all([pay(fan2.headers, c), charge(signedIn, 10_000)]);
      await Promise.all([refund(signedIn, paidC), refund(signedIn, paidC), charge(signedIn, 1)]);
      return [a, b, c, paidA, paidC].filter((r) => r && r.statusCode >= 500);
    }),
  );
  t.same(outcomes.flat(), [], 'no 5xx');
  t.ok((await stack.db.pointTransaction.count({ where: { type: 'REFUND' } })) > 0, 'refunds happened');
  t.ok((await stack.db.pointTransaction.count({ where: { type: 'USE' } })) > 0, 'payments happened');
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS, 'balance = CHARGE − USE + REFUND for everyone');
  t.same(await stack.seatsLeft(), await stack.countedSeats(), 'seats-left figures exact after the storm');
});
