import t from 'tap';
import {
  applyEffects,
  applyPendingEffects,
  holdSeat,
  releaseLapsedHolds,
  type EffectTargets,
} from '@concert/booking-domain';
import { NO_VIOLATIONS } from '@concert/testing';
import { seatKeys } from '@concert/queue';
import { buildStack, invariantViolations, type Stack } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The effect targets the worker uses, on this app's Redis (what the outbox job applies with). */
const targetsOf = (stack: Stack): EffectTargets => ({
  applySeatDeltas: (queueId, deltas) => stack.app.seatsLeft.apply(queueId, deltas),
  endToken: (queueId, token) => stack.app.waitingRoom.remove(queueId, token),
});

t.test('seats-left figures equal the SQL count after every kind of change', async (t) => {
  const stack = await buildStack(t, { HOLD_SECONDS: 1 });
  const { app, concert, schedules } = stack;
  const url = (i: number) => `/concerts/${concert.id}/schedules/${schedules[i]!.id}/reservations`;
  const exact = async (why: string) => t.same(await stack.seatsLeft(), await stack.countedSeats(), why);

  t.equal(await stack.seatsLeft(), null, 'unknown before the first reconciliation');
  t.same(await stack.reconcileSeats(), { left: 150, held: 0 }, 'three dates of 50 seats');
  await exact('reconciled');

  const ann = await stack.fan('ann');
  const single = await app.inject({ method: 'POST', url: url(0), headers: ann.headers, payload: { seatNo: 1 } });
  await exact('a single hold');
  t.same(await stack.seatsLeft(), { left: 149, held: 1 });
  const group = await app.inject({ method: 'POST', url: url(0), headers: ann.headers, payload: { seatNos: [2, 3] } });
  await exact('a multi-seat hold');
  const bob = await stack.fan('bob');
  await app.inject({ method: 'POST', url: url(1), headers: bob.headers, payload: { quantity: 2 } });
  await exact('best available');
  await app.inject({ method: 'DELETE', url: `/reservations/${single.json().reservationId}`, headers: ann.headers });
  await exact('a cancellation');
  await app.inject({ method: 'POST', url: '/points/charge', headers: ann.headers, payload: { amount: 1_000_000 } });
  const reservationIds = group.json().reservations.map((r: { reservationId: string }) => r.reservationId);
  const paid = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: ann.headers,
    payload: { reservationIds },
  });
  t.equal(paid.statusCode, 201);
  await exact('a payment');
  t.same(await stack.seatsLeft(), { left: 146, held: 2 }, '2 sold, bob’s 2 held');
  await app.inject({
    method: 'POST',
    url: `/payments/${paid.json().paymentId}/refund`,
    headers: await stack.signedIn('ann'),
  });
  await exact('a refund');
  t.same(await stack.seatsLeft(), { left: 148, held: 2 });

  // Bob's holds lapse (HOLD_SECONDS=1): held until the worker releases them, as PostgreSQL says.
  await sleep(1100);
  await exact('lapsed, not yet released');
  const carl = await stack.fan('carl');
  const retaken = await app.inject({ method: 'POST', url: url(1), headers: carl.headers, payload: { seatNo: 1 } });
  t.equal(retaken.statusCode, 201, 'a lapsed seat held again');
  await exact('a lapsed seat taken over: no change');
  const released = await releaseLapsedHolds({ sql: stack.sql });
  t.same([released.released, released.seatsFreed], [2, 1]);
  await applyEffects(released.effects, targetsOf(stack));
  await exact('lapsed holds released');
  t.same(await stack.seatsLeft(), { left: 149, held: 1 });

  // Drift (say, a bug or a hand edit) is undone by the next reconciliation.
  await stack.redis.hset(seatKeys(stack.config.REDIS_PREFIX, concert.queueId).seats, 'left', 999, 'held', 7);
  t.same(await stack.reconcileSeats(), await stack.countedSeats());
  await exact('drift corrected by reconciliation');
});

t.test('effects recorded but not yet applied are neither lost nor counted twice around a reconciliation', async (t) => {
  const stack = await buildStack(t);
  const { concert, schedules, sql } = stack;
  await stack.reconcileSeats();
  // Holds whose seats-left changes are only in the outbox (as if their request died after commit).
  for (const seatNo of [1, 2, 3]) {
    await holdSeat({
      sql,
      userId: `u${seatNo}`,
      concertId: concert.id,
      scheduleId: schedules[0]!.id,
      seatNo,
      holdSeconds: 300,
      maxHolds: 4,
    });
  }
  t.same(await stack.seatsLeft(), { left: 150, held: 0 }, 'not applied yet');
  await stack.reconcileSeats();
  t.same(await stack.seatsLeft(), { left: 147, held: 3 }, 'the reconciliation counts them');
  t.same(
    await applyPendingEffects({ sql, targets: targetsOf(stack), graceMs: 0 }),
    { applied: 3, toReconcile: [] },
    'the outbox sweep runs…',
  );
  t.same(await stack.seatsLeft(), { left: 147, held: 3 }, '…and adds nothing on top');
  t.equal(await stack.db.outboxEffect.count(), 0, 'and empties the outbox');
});

t.test('a seat change left in the outbox longer than applied ids are remembered is counted, not applied', async (t) => {
  const stack = await buildStack(t);
  const { sql, concert } = stack;
  await stack.reconcileSeats();
  await sql.query(
    `INSERT INTO outbox_effect (queue_id, payload, created_at)
     VALUES ($1, '{"seats": {"left": -1, "held": 1}}', now() - interval '2 hours')`,
    [concert.queueId],
  );
  t.same(await applyPendingEffects({ sql, targets: targetsOf(stack), graceMs: 0, staleAfterMs: 3_600_000 }), {
    applied: 1,
    toReconcile: [concert.queueId],
  });
  t.same(await stack.seatsLeft(), { left: 150, held: 0 }, 'not applied: it may have been already');
  t.equal(await stack.db.outboxEffect.count(), 0);
});

t.test('concurrent changes while reconciliations run: the figures end exact', async (t) => {
  const stack = await buildStack(t);
  const { app, concert, schedules, sql } = stack;
  await stack.reconcileSeats();
  const fans = await Promise.all(Array.from({ length: 40 }, (_, i) => stack.fan(`f${i}`)));
  let storming = true;
  const reconciling = (async () => {
    let runs = 0;
    while (storming) {
      await stack.reconcileSeats();
      runs++;
    }
    return runs;
  })();
  await Promise.all(
    fans.map(async (fan, i) => {
      const url = `/concerts/${concert.id}/schedules/${schedules[i % 3]!.id}/reservations`;
      const held = await app.inject({ method: 'POST', url, headers: fan.headers, payload: { quantity: 2 } });
      if (held.statusCode === 201 && i % 2 === 0) {
        const [first] = held.json().reservations;
        await app.inject({ method: 'DELETE', url: `/reservations/${first.reservationId}`, headers: fan.headers });
      }
      await app.inject({ method: 'POST', url, headers: fan.headers, payload: { seatNo: (i % 50) + 1 } });
    }),
  );
  storming = false;
  t.ok((await reconciling) > 0, 'reconciliations ran during the storm');
  await applyPendingEffects({ sql, targets: targetsOf(stack), graceMs: 0 });
  t.same(await stack.seatsLeft(), await stack.countedSeats(), 'exact');
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
});

t.test(
  'outbox: when Redis fails right after a payment commits, the worker ends the token and fixes the figures',
  async (t) => {
    const stack = await buildStack(t);
    const { app, concert, schedules, sql } = stack;
    await stack.reconcileSeats();
    const fan = await stack.fan('gina');
    const held = await app.inject({
      method: 'POST',
      url: `/concerts/${concert.id}/schedules/${schedules[0]!.id}/reservations`,
      headers: fan.headers,
      payload: { seatNos: [7, 8] },
    });
    await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 1_000_000 } });
    await applyPendingEffects({ sql, targets: targetsOf(stack), graceMs: 0 }); // the hold's, swept as the worker does
    const before = await stack.seatsLeft();

    // Fault injection at the calls made after the commit only; everything else is real.
    const { remove } = app.waitingRoom;
    const { apply } = app.seatsLeft;
    app.waitingRoom.remove = async () => {
      throw new Error('Redis went away');
    };
    app.seatsLeft.apply = async () => {
      throw new Error('Redis went away');
    };
    const restore = () => {
      app.waitingRoom.remove = remove;
      app.seatsLeft.apply = apply;
    };
    t.teardown(restore);
    const reservationIds = held.json().reservations.map((r: { reservationId: string }) => r.reservationId);
    const paid = await app.inject({
      method: 'POST',
      url: '/payments',
      headers: fan.headers,
      payload: { reservationIds },
    });
    restore();
    t.equal(paid.statusCode, 201, 'the payment stands');
    t.equal((await stack.waitingRoom.status(concert.queueId, fan.claims))?.status, 'ACTIVE', 'the token still lives…');
    t.same(await stack.seatsLeft(), before, '…and the figures are stale');
    t.match(
      await stack.db.outboxEffect.findMany(),
      [{ payload: { endToken: { userId: 'gina' }, seats: { left: 0, held: -2 } } }],
      'both effects are in the outbox, in one row',
    );

    t.equal((await applyPendingEffects({ sql, targets: targetsOf(stack), graceMs: 0 })).applied, 1);
    t.equal(await stack.waitingRoom.status(concert.queueId, fan.claims), null, 'the paying token has ended');
    t.same(await stack.seatsLeft(), await stack.countedSeats(), 'the figures are exact');
    t.equal(await stack.db.outboxEffect.count(), 0);
  },
);

t.test('applying an effect twice changes nothing the second time', async (t) => {
  const stack = await buildStack(t);
  await stack.reconcileSeats();
  const effect = { id: '424242', queueId: stack.concert.queueId, seats: { left: -1, held: 1 } };
  await applyEffects([effect], targetsOf(stack));
  await applyEffects([effect], targetsOf(stack));
  t.same(await stack.seatsLeft(), { left: 149, held: 1 }, 'counted once');
  t.equal(await stack.app.seatsLeft.apply(stack.concert.queueId, [{ id: '424242', left: -1, held: 1 }]), 0);
  await stack.redis.del(seatKeys(stack.config.REDIS_PREFIX, stack.concert.queueId).seats);
  t.equal(
    await stack.app.seatsLeft.apply(stack.concert.queueId, [{ id: '1', left: -1, held: 1 }]),
    0,
    'unknown figures stay unknown until reconciled',
  );
  t.equal(await stack.seatsLeft(), null);
});

t.test('a replayed payment makes sure its token has ended', async (t) => {
  const stack = await buildStack(t);
  const { app, concert, schedules } = stack;
  const fan = await stack.fan('hugo');
  const held = await app.inject({
    method: 'POST',
    url: `/concerts/${concert.id}/schedules/${schedules[0]!.id}/reservations`,
    headers: fan.headers,
    payload: { seatNo: 9 },
  });
  await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 1_000_000 } });
  const { remove } = app.waitingRoom;
  app.waitingRoom.remove = async () => {
    throw new Error('Redis went away');
  };
  t.teardown(() => {
    app.waitingRoom.remove = remove;
  });
  const headers = { ...fan.headers, 'idempotency-key': 'pay-hugo' };
  const payload = { reservationId: held.json().reservationId };
  const first = await app.inject({ method: 'POST', url: '/payments', headers, payload });
  t.equal(first.statusCode, 201);
  app.waitingRoom.remove = remove;
  t.equal((await stack.waitingRoom.status(concert.queueId, fan.claims))?.status, 'ACTIVE', 'not ended yet');
  const replay = await app.inject({ method: 'POST', url: '/payments', headers, payload });
  t.same([replay.statusCode, replay.headers['idempotent-replayed']], [201, 'true']);
  t.equal(replay.headers.location, `/payments/${first.json().paymentId}`);
  t.equal(await stack.waitingRoom.status(concert.queueId, fan.claims), null, 'the replay ended the token');
});
