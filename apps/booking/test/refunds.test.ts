import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { ApiResponse, HeldSeats, PaymentReceipt } from '@concert/contract';
import { NO_VIOLATIONS } from '@concert/testing';
import { answerOf, buildStack, invariantViolations, type Answer, type Stack } from './helper.js';

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
  const booking = await stack.client();
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

  t.test('20 concurrent refunds of one payment, over HTTP: one refund, one REFUND row', async (t) => {
    const { paymentId } = await paidSeats(stack, 'cat', [3, 4, 5]);
    const cat = await stack.identityToken('cat');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => answerOf(booking.refundPayment(cat, paymentId))),
    );
    t.same(
      answers.map((a) => `${a.status} ${a.code ?? ''}`).sort(),
      ['200 ', ...Array<string>(19).fill('409 PAYMENT_ALREADY_REFUNDED')],
      'one 200, 19 × 409 PAYMENT_ALREADY_REFUNDED',
    );
    t.equal(await db.pointTransaction.count({ where: { userId: 'cat', type: 'REFUND' } }), 1);
    t.equal((await db.pointBalance.findUniqueOrThrow({ where: { userId: 'cat' } })).balance, 1_000_000);
  });

  t.test(
    'Idempotency-Key over HTTP: concurrent retries refund once, every other answer a replay or "in flight"',
    async (t) => {
      const { paymentId } = await paidSeats(stack, 'dan', [6]);
      const dan = await stack.identityToken('dan');
      const key = { idempotencyKey: 'refund-once' };
      const burst = await Promise.all(
        Array.from({ length: 20 }, () => answerOf(booking.refundPayment(dan, paymentId, key))),
      );
      const firsts = burst.filter((a) => a.status === 200 && !a.replayed);
      t.equal(firsts.length, 1, 'one refund');
      const others = burst.filter((a) => a !== firsts[0]);
      t.same(
        others.filter((a) => !(a.status === 200 && a.replayed) && a.code !== 'IDEMPOTENCY_KEY_IN_FLIGHT'),
        [],
        'the others: the first answer again, or 409 IDEMPOTENCY_KEY_IN_FLIGHT — never "already refunded"',
      );
      t.ok(
        others.filter((a) => a.status === 200).every((a) => JSON.stringify(a.data) === JSON.stringify(firsts[0]!.data)),
        'every replay is the first answer',
      );
      t.ok(
        others.filter((a) => a.code === 'IDEMPOTENCY_KEY_IN_FLIGHT').every((a) => a.status === 409),
        '"in flight" is a 409',
      );
      const replay = await answerOf(booking.refundPayment(dan, paymentId, key));
      t.match(replay, { status: 200, replayed: true }, 'a later retry: the first answer, marked a replay');
      t.same(replay.data, firsts[0]!.data);
      t.equal(await db.pointTransaction.count({ where: { userId: 'dan', type: 'REFUND' } }), 1);
      const reused = await answerOf(booking.refundPayment(dan, randomUUID(), key));
      t.same([reused.status, reused.code], [422, 'IDEMPOTENCY_KEY_REUSED'], 'the key names this payment');
    },
  );

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

t.test('refunds return the whole payment even past MAX_BALANCE, which caps charges', async (t) => {
  const stack = await buildStack(t, { MAX_BALANCE: 1_000_000 });
  const booking = await stack.client();
  const ann = await stack.identityToken('ann');
  const balance = async () => (await booking.getBalance(ann)).data.balance;
  /** Ann holds and pays `seatNos` of the first date with a fresh queue token. */
  const pays = async (seatNos: number[]) => {
    const fan = await stack.fan('ann');
    const held = await booking.holdSeats(fan.token, stack.concert.id, stack.schedules[0]!.id, { seatNos });
    const reservationIds = held.data.reservations.map((r) => r.reservationId);
    return (await booking.payReservations(fan.token, { reservationIds })).data;
  };

  t.equal((await booking.chargePoints(ann, 1_000_000)).data.balance, 1_000_000, 'charged up to the cap');
  const overCap = await answerOf(booking.chargePoints(ann, 1));
  t.same([overCap.status, overCap.code], [422, 'BALANCE_LIMIT_EXCEEDED'], 'a charge never passes the cap');
  const paid = await pays([1, 2]);
  t.equal(paid.amount, 300_000);
  t.equal((await booking.chargePoints(ann, 300_000)).data.balance, 1_000_000, 'charged back up to the cap');

  const refunded = await answerOf(booking.refundPayment(ann, paid.paymentId));
  t.match(refunded, { status: 200, data: { amount: 300_000, balance: 1_300_000 } }, 'the whole payment back');
  t.equal(await balance(), 1_300_000, 'above the cap: the points were the fan’s own');
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS, 'balance = CHARGE − USE + REFUND');

  const stillOver = await answerOf(booking.chargePoints(ann, 1));
  t.same([stillOver.status, stillOver.code], [422, 'BALANCE_LIMIT_EXCEEDED'], 'no charge while above the cap');
  t.equal((await pays([3])).balance, 1_150_000, 'paying works above the cap');
  await pays([4, 5]);
  t.equal(await balance(), 850_000, 'paid back under the cap');
  t.equal((await booking.chargePoints(ann, 150_000)).data.balance, 1_000_000, 'charging up to the cap works again');
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
});

t.test('ledger sums hold for every user after a storm of charges, holds, payments and refunds over HTTP', async (t) => {
  const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 4, MAX_TICKETS_PER_USER: 8 });
  const { concert, schedules } = stack;
  const booking = await stack.client();
  await stack.reconcileSeats();
  const users = Array.from({ length: 12 }, (_, i) => `storm-${i}`);
  const answers: { operation: string; answer: Answer }[] = [];
  /** Every answer of the storm is kept, to check them all afterwards. */
  const record = async <T>(operation: string, call: Promise<ApiResponse<T>>) => {
    const answer = await answerOf(call);
    answers.push({ operation, answer });
    return answer;
  };
  const hold = (token: string, seatNos: number[], date: number) =>
    record<HeldSeats>('hold', booking.holdSeats(token, concert.id, schedules[date]!.id, { seatNos }));
  const charge = (token: string, amount: number) => record('charge', booking.chargePoints(token, amount));
  const pay = async (token: string, held: Answer<HeldSeats>) =>
    held.status === 201
      ? record<PaymentReceipt>(
          'pay',
          booking.payReservations(token, { reservationIds: held.data!.reservations.map((r) => r.reservationId) }),
        )
      : undefined;
  const refund = async (token: string, paid: Answer<PaymentReceipt> | undefined) =>
    paid?.status === 201
      ? record(`refund ${paid.data!.paymentId}`, booking.refundPayment(token, paid.data!.paymentId))
      : undefined;

  await Promise.all(
    users.map(async (userId, u) => {
      const fan = await stack.fan(userId);
      const signedIn = await stack.identityToken(userId);
      // Seats overlap between neighbours on purpose: some holds lose.
      const [a] = await Promise.all([
        hold(fan.token, [u * 3 + 1, u * 3 + 2], 0),
        charge(fan.token, 150_000),
        charge(signedIn, 90_000),
        charge(fan.token, 70_000),
      ]);
      const [paidA] = await Promise.all([
        pay(fan.token, a),
        hold(fan.token, [u * 3 + 2, u * 3 + 3], 1),
        charge(signedIn, 300_000),
      ]);
      const fan2 = await stack.fan(userId);
      const [c] = await Promise.all([
        hold(fan2.token, [u * 3 + 3, u * 3 + 4], 0),
        refund(signedIn, paidA),
        refund(signedIn, paidA),
        refund(fan2.token, paidA),
      ]);
      const [paidC] = await Promise.all([pay(fan2.token, c), charge(signedIn, 10_000)]);
      await Promise.all([refund(signedIn, paidC), refund(signedIn, paidC), charge(signedIn, 1)]);
    }),
  );
  t.same(
    answers.filter(({ answer }) => answer.status >= 500),
    [],
    'no 5xx from any hold, charge, payment or refund',
  );
  t.ok(
    answers.filter(({ operation }) => operation === 'charge').every(({ answer }) => answer.status === 200),
    'every charge 200',
  );
  const refundsByPayment = new Map<string, typeof answers>();
  for (const entry of answers.filter(({ operation }) => operation.startsWith('refund '))) {
    refundsByPayment.set(entry.operation, [...(refundsByPayment.get(entry.operation) ?? []), entry]);
  }
  t.ok(refundsByPayment.size > 0, 'refunds happened');
  t.ok(
    [...refundsByPayment.values()].every(
      (tries) =>
        tries.filter(({ answer }) => answer.status === 200).length === 1 &&
        tries.every(({ answer }) => answer.status === 200 || answer.code === 'PAYMENT_ALREADY_REFUNDED'),
    ),
    'each payment refunded once; its other refunds 409 PAYMENT_ALREADY_REFUNDED',
  );
  t.equal(
    await stack.db.pointTransaction.count({ where: { type: 'REFUND' } }),
    refundsByPayment.size,
    'one REFUND row per refunded payment',
  );
  t.ok((await stack.db.pointTransaction.count({ where: { type: 'USE' } })) > 0, 'payments happened');
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS, 'balance = CHARGE − USE + REFUND for everyone');
  t.same(await stack.seatsLeft(), await stack.countedSeats(), 'seats-left figures exact after the storm');
});
