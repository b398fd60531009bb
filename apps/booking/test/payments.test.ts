import { randomUUID } from 'node:crypto';
import t from 'tap';
import { payReservations } from '@concert/booking-domain';
import { NO_VIOLATIONS } from '@concert/testing';
import { buildStack, invariantViolations, type Stack } from './helper.js';

async function holdAndFund(stack: Stack, userId: string, seatNos: number[], points: number) {
  const fan = await stack.fan(userId);
  const url = `/concerts/${stack.concert.id}/schedules/${stack.schedules[0]!.id}/reservations`;
  const reservationIds: string[] = [];
  for (const seatNo of seatNos) {
    const held = await stack.app.inject({ method: 'POST', url, headers: fan.headers, payload: { seatNo } });
    if (held.statusCode !== 201) throw new Error(`hold failed: ${held.body}`);
    reservationIds.push(held.json().reservationId);
  }
  if (points)
    await stack.app.inject({
      method: 'POST',
      url: '/points/charge',
      headers: fan.headers,
      payload: { amount: points },
    });
  return { fan, reservationIds };
}

t.test('payments', async (t) => {
  const stack = await buildStack(t);
  const { app, db } = stack;
  const pay = (headers: Record<string, string>, payload: object) =>
    app.inject({ method: 'POST', url: '/payments', headers, payload });

  t.test('paying two holds at once: one transaction, one debit, seats sold, token ended', async (t) => {
    const { fan, reservationIds } = await holdAndFund(stack, 'alice', [1, 40], 1_000_000);
    const response = await pay(fan.headers, { reservationIds });
    t.equal(response.statusCode, 201);
    const body = response.json();
    t.match(body, { amount: 150_000 + 90_000, balance: 1_000_000 - 240_000, status: 'PAID' });
    t.same([...body.reservationIds].sort(), [...reservationIds].sort());
    t.ok(Date.parse(body.paidAt) > 0);

    const reservations = await db.reservation.findMany({ where: { id: { in: reservationIds } } });
    t.ok(reservations.every((r) => r.status === 'CONFIRMED' && r.paymentId === body.paymentId));
    const seats = await db.seat.findMany({ where: { reservationId: { in: reservationIds } } });
    t.ok(seats.length === 2 && seats.every((s) => s.status === 'SOLD'), 'seats SOLD');
    const uses = await db.pointTransaction.findMany({ where: { userId: 'alice', type: 'USE' } });
    t.match(uses, [{ amount: 240_000, balanceAfter: 760_000, paymentId: body.paymentId }], 'one USE row');

    const after = await app.inject({ method: 'GET', url: '/points', headers: fan.headers });
    t.same([after.statusCode, after.json().code], [401, 'TOKEN_EXPIRED'], 'the paying token is expired');
    t.match(await app.waitingRoom.totals(stack.concert.queueId), { paid: 1 }, "counted in the queue's totals as paid");
    const again = await stack.fan('alice');
    t.same(
      (await app.inject({ method: 'GET', url: `/reservations/${reservationIds[0]}`, headers: again.headers })).json()
        .status,
      'CONFIRMED',
    );
  });

  t.test('refusals: not found, someone else’s, already paid, insufficient balance; nothing changes', async (t) => {
    const {
      fan: bob,
      reservationIds: [bobs],
    } = await holdAndFund(stack, 'bob', [2], 100);
    const {
      fan: carol,
      reservationIds: [carols],
    } = await holdAndFund(stack, 'carol', [3], 1_000_000);

    const unknown = await pay(bob.headers, { reservationId: randomUUID() });
    t.same([unknown.statusCode, unknown.json().code], [404, 'RESERVATION_NOT_FOUND']);
    const oddId = await pay(bob.headers, { reservationId: 'nope' });
    t.same(
      [oddId.statusCode, oddId.json().code],
      [404, 'RESERVATION_NOT_FOUND'],
      'an id of another shape names nothing',
    );
    const foreign = await pay(bob.headers, { reservationId: carols });
    t.same([foreign.statusCode, foreign.json().code], [404, 'RESERVATION_NOT_FOUND'], "someone else's is not found");
    const mixed = await pay(bob.headers, { reservationIds: [bobs, carols] });
    t.equal(mixed.statusCode, 404, 'one foreign reservation spoils the whole payment');
    const poor = await pay(bob.headers, { reservationId: bobs });
    t.same([poor.statusCode, poor.json().code], [402, 'INSUFFICIENT_BALANCE']);
    t.equal((await db.reservation.findUniqueOrThrow({ where: { id: bobs! } })).status, 'HELD', 'still held');
    t.equal((await db.pointBalance.findUniqueOrThrow({ where: { userId: 'bob' } })).balance, 100, 'nothing debited');

    t.equal((await pay(carol.headers, { reservationId: carols })).statusCode, 201);
    const carolAgain = await stack.fan('carol');
    const twice = await pay(carolAgain.headers, { reservationId: carols });
    t.same([twice.statusCode, twice.json().code], [409, 'RESERVATION_ALREADY_PAID']);

    for (const payload of [
      {},
      { reservationIds: [] },
      { reservationId: 7 },
      { reservationId: carols, extra: true },
      { reservationId: carols, reservationIds: [carols] },
      { reservationIds: Array(5).fill(carols) },
    ]) {
      const bad = await pay(bob.headers, payload);
      t.same([bad.statusCode, bad.json().code], [400, 'VALIDATION_ERROR'], JSON.stringify(payload).slice(0, 60));
    }
  });

  t.test('a waiting token cannot pay; a token of another queue cannot pay for this concert', async (t) => {
    const {
      fan: dan,
      reservationIds: [dans],
    } = await holdAndFund(stack, 'dan', [4], 1_000_000);
    await stack.configureQueue('side-show', { maxActive: 1 });
    await stack.fan('someone', 'side-show');
    const waiting = await stack.fan('dan', 'side-show');
    const notActive = await pay(waiting.headers, { reservationId: dans });
    t.same([notActive.statusCode, notActive.json().code], [403, 'TOKEN_NOT_ACTIVE']);
    await stack.configureQueue('side-show', { maxActive: 5 });
    await stack.waitingRoom.tick('side-show');
    const wrongQueue = await pay(waiting.headers, { reservationId: dans });
    t.same([wrongQueue.statusCode, wrongQueue.json().code], [403, 'TOKEN_WRONG_QUEUE']);
    t.equal((await pay(dan.headers, { reservationId: dans })).statusCode, 201, 'with the right token it works');
  });

  t.test('Idempotency-Key: a retry gets the first response, even after the token was ended', async (t) => {
    const { fan, reservationIds } = await holdAndFund(stack, 'erin', [5], 1_000_000);
    const headers = { ...fan.headers, 'idempotency-key': 'pay-once' };
    const first = await pay(headers, { reservationIds });
    t.equal(first.statusCode, 201);
    const replay = await pay(headers, { reservationIds });
    t.equal(replay.statusCode, 201);
    t.same(replay.json(), first.json());
    t.equal(replay.headers['idempotent-replayed'], 'true');
    const reused = await pay(headers, { reservationId: randomUUID() });
    t.same([reused.statusCode, reused.json().code], [422, 'IDEMPOTENCY_KEY_REUSED']);
    t.equal(await db.payment.count({ where: { userId: 'erin' } }), 1);
  });

  t.test('a keyed retry from a new place (the fan joined again) replays, and the new place stays', async (t) => {
    const { fan, reservationIds } = await holdAndFund(stack, 'hugo', [8], 1_000_000);
    const payKey = { 'idempotency-key': 'hugo-pays' };
    const first = await pay({ ...fan.headers, ...payKey }, { reservationIds });
    t.equal(first.statusCode, 201);
    t.equal(await stack.waitingRoom.status(fan.queueId, fan.claims), null, 'the token that paid has ended');
    // The answer was lost; the fan joins again (a new token, a new place) and retries the same key.
    const again = await stack.fan('hugo');
    t.not(again.token, fan.token, 'a new token');
    const replay = await pay({ ...again.headers, ...payKey }, { reservationIds });
    t.equal(replay.statusCode, 201);
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.same(replay.json(), first.json(), 'the first answer again');
    t.match(
      await stack.waitingRoom.status(again.queueId, again.claims),
      { status: 'ACTIVE' },
      'the new place is kept: only the token that paid is ended',
    );
  });

  t.test('a payment whose request died after the commit: a keyed retry ends the token that paid', async (t) => {
    const { fan, reservationIds } = await holdAndFund(stack, 'iris', [9], 1_000_000);
    // Committed (the outbox records ending the token) by a request that never got to apply it.
    await payReservations({
      sql: stack.sql,
      userId: 'iris',
      queueId: fan.queueId,
      reservationIds,
      token: fan.claims,
      idempotencyKey: 'iris-pays',
    });
    t.match(await stack.waitingRoom.status(fan.queueId, fan.claims), { status: 'ACTIVE' }, 'paid, token still live');
    const replay = await pay({ ...fan.headers, 'idempotency-key': 'iris-pays' }, { reservationIds });
    t.same([replay.statusCode, replay.headers['idempotent-replayed']], [201, 'true']);
    t.equal(await stack.waitingRoom.status(fan.queueId, fan.claims), null, 'the retry ended the token that paid');
  });

  t.test('10 concurrent payments of one reservation: one payment, one debit', async (t) => {
    const {
      fan,
      reservationIds: [id],
    } = await holdAndFund(stack, 'frank', [6], 1_000_000);
    const responses = await Promise.all(Array.from({ length: 10 }, () => pay(fan.headers, { reservationId: id })));
    const codes = responses.map((r) => r.statusCode).sort();
    t.equal(codes.filter((c) => c === 201).length, 1, 'exactly one 201');
    t.ok(
      responses
        .filter((r) => r.statusCode !== 201)
        .every((r) => ['RESERVATION_ALREADY_PAID', 'TOKEN_EXPIRED'].includes(r.json().code)),
      'the others are told it is paid (or that the paying token is over)',
    );
    t.equal(await db.payment.count({ where: { userId: 'frank' } }), 1);
    t.equal(await db.pointTransaction.count({ where: { userId: 'frank', type: 'USE' } }), 1);
    t.equal((await db.pointBalance.findUniqueOrThrow({ where: { userId: 'frank' } })).balance, 1_000_000 - 150_000);
  });

  t.test('if Redis fails after the commit, the payment stands and answers 201', async (t) => {
    const { fan, reservationIds } = await holdAndFund(stack, 'gina', [7], 1_000_000);
    // Fault injection on the one call made after the commit; everything else is real.
    const remove = app.waitingRoom.remove;
    app.waitingRoom.remove = async () => {
      throw new Error('Redis went away');
    };
    t.teardown(() => {
      app.waitingRoom.remove = remove;
    });
    const response = await pay(fan.headers, { reservationIds });
    t.equal(response.statusCode, 201);
    t.equal((await db.reservation.findUniqueOrThrow({ where: { id: reservationIds[0]! } })).status, 'CONFIRMED');
  });

  t.test('invariants hold in the database', async (t) => {
    t.same(await invariantViolations(db), NO_VIOLATIONS);
  });
});
