import t from 'tap';
import type pg from 'pg';
import { buildStack, someoneWaitsOnALock } from './helper.js';

t.test('Idempotency-Key on holds, and a key whose first request is still running', async (t) => {
  const stack = await buildStack(t);
  const { app, db, sql, concert, schedules } = stack;
  const holdUrl = (i = 0) => `/concerts/${concert.id}/schedules/${schedules[i]!.id}/reservations`;

  /** Runs `lock` in a transaction of its own and keeps it open until `release()`. */
  async function holdRowLock(lock: string, values: unknown[]) {
    const client: pg.PoolClient = await sql.connect();
    await client.query('BEGIN');
    await client.query(lock, values);
    return async () => {
      await client.query('ROLLBACK');
      client.release();
    };
  }

  t.test('holds: a retry gets the same reservations back and holds nothing more', async (t) => {
    const ann = await stack.fan('ann');
    const headers = { ...ann.headers, 'idempotency-key': 'hold-1' };
    const first = await app.inject({ method: 'POST', url: holdUrl(), headers, payload: { seatNos: [8, 9] } });
    t.equal(first.statusCode, 201);
    const replay = await app.inject({ method: 'POST', url: holdUrl(), headers, payload: { seatNos: [9, 8] } });
    t.equal(replay.statusCode, 201, 'the same seats in another order are the same request');
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.equal(replay.headers.location, first.headers.location);
    t.same(replay.json(), first.json());
    t.equal(await db.reservation.count({ where: { userId: 'ann' } }), 2, 'nothing more held');

    for (const [payload, date, why] of [
      [{ seatNos: [8, 10] }, 0, 'other seats'],
      [{ seatNos: [8, 9] }, 1, 'the same seats of another date'],
      [{ quantity: 2 }, 0, 'another shape'],
    ] as const) {
      const reused = await app.inject({ method: 'POST', url: holdUrl(date), headers, payload });
      t.same([reused.statusCode, reused.json().code], [422, 'IDEMPOTENCY_KEY_REUSED'], why);
    }
    const single = { ...ann.headers, 'idempotency-key': 'hold-2' };
    const one = await app.inject({ method: 'POST', url: holdUrl(), headers: single, payload: { seatNo: 11 } });
    const oneAgain = await app.inject({ method: 'POST', url: holdUrl(), headers: single, payload: { seatNo: 11 } });
    t.same([oneAgain.statusCode, oneAgain.json()], [201, one.json()], 'a single seat replays its single body');
  });

  // Each write parked on a row lock after claiming its key; the same key again must not wait.
  const parked = [
    {
      name: 'points.charge',
      async setUp() {
        const fan = await stack.fan('carl');
        await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 1 } });
        return {
          headers: fan.headers,
          request: { method: 'POST' as const, url: '/points/charge', payload: { amount: 100 } },
          lock: () => holdRowLock('SELECT 1 FROM point_balance WHERE user_id = $1 FOR UPDATE', ['carl']),
          expected: 200,
        };
      },
    },
    {
      name: 'holds',
      async setUp() {
        const fan = await stack.fan('dora');
        return {
          headers: fan.headers,
          request: { method: 'POST' as const, url: holdUrl(2), payload: { seatNos: [20, 21] } },
          lock: () =>
            holdRowLock('SELECT 1 FROM seat WHERE schedule_id = $1 AND seat_no = 20 FOR UPDATE', [schedules[2]!.id]),
          expected: 201,
        };
      },
    },
    {
      name: 'payments',
      async setUp() {
        const fan = await stack.fan('emil');
        const held = await app.inject({
          method: 'POST',
          url: holdUrl(2),
          headers: fan.headers,
          payload: { seatNo: 30 },
        });
        await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 200_000 } });
        const { reservationId } = held.json();
        return {
          headers: fan.headers,
          request: { method: 'POST' as const, url: '/payments', payload: { reservationId } },
          lock: () => holdRowLock('SELECT 1 FROM reservation WHERE id = $1 FOR UPDATE', [reservationId]),
          expected: 201,
        };
      },
    },
    {
      name: 'refunds',
      async setUp() {
        const fan = await stack.fan('fran');
        const held = await app.inject({
          method: 'POST',
          url: holdUrl(2),
          headers: fan.headers,
          payload: { seatNo: 40 },
        });
        await app.inject({ method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 200_000 } });
        const paid = await app.inject({
          method: 'POST',
          url: '/payments',
          headers: fan.headers,
          payload: { reservationId: held.json().reservationId },
        });
        const { paymentId } = paid.json();
        return {
          headers: await stack.signedIn('fran'),
          request: { method: 'POST' as const, url: `/payments/${paymentId}/refund` },
          lock: () => holdRowLock('SELECT 1 FROM payment WHERE id = $1 FOR UPDATE', [paymentId]),
          expected: 200,
        };
      },
    },
  ];

  for (const write of parked) {
    t.test(`${write.name}: 409 IDEMPOTENCY_KEY_IN_FLIGHT while the first is running, then its answer`, async (t) => {
      const { headers, request, lock, expected } = await write.setUp();
      const keyed = { ...headers, 'idempotency-key': `in-flight-${write.name}` };
      const release = await lock();
      const first = app.inject({ ...request, headers: keyed });
      t.ok(await someoneWaitsOnALock(sql), 'the first request is parked mid-transaction');
      const started = Date.now();
      const second = await app.inject({ ...request, headers: keyed });
      t.same([second.statusCode, second.json().code], [409, 'IDEMPOTENCY_KEY_IN_FLIGHT']);
      t.ok(Date.now() - started < 2000, 'answered at once, not after the first');
      await release();
      const done = await first;
      t.equal(done.statusCode, expected, 'the first completes');
      const retry = await app.inject({ ...request, headers: keyed });
      t.same([retry.statusCode, retry.headers['idempotent-replayed']], [expected, 'true'], 'a retry replays it');
      t.same(retry.json(), done.json());
    });
  }
});
