import t from 'tap';
import { releaseLapsedHolds } from '@concert/booking-domain';
import { NO_VIOLATIONS } from '@concert/testing';
import { buildStack, invariantViolations } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('with HOLD_SECONDS=1, a lapsed hold is available at once, can be re-held, cannot be paid', async (t) => {
  const stack = await buildStack(t, { HOLD_SECONDS: 1 });
  const { app, concert, schedules } = stack;
  const base = `/concerts/${concert.id}/schedules/${schedules[0]!.id}`;
  const first = await stack.fan('first');
  const second = await stack.fan('second');
  await app.inject({ method: 'POST', url: '/points/charge', headers: first.headers, payload: { amount: 1_000_000 } });

  const held = await app.inject({
    method: 'POST',
    url: `${base}/reservations`,
    headers: first.headers,
    payload: { seatNo: 10 },
  });
  t.equal(held.statusCode, 201);
  const { reservationId } = held.json();
  const taken = await app.inject({
    method: 'POST',
    url: `${base}/reservations`,
    headers: second.headers,
    payload: { seatNo: 10 },
  });
  t.equal(taken.statusCode, 409, 'taken while the hold is live');

  await sleep(1200);
  const seats = (await app.inject({ method: 'GET', url: `${base}/seats`, headers: second.headers })).json();
  t.equal(seats[9].status, 'AVAILABLE', 'the lapsed hold reads AVAILABLE before any clean-up ran');
  const read = await app.inject({ method: 'GET', url: `/reservations/${reservationId}`, headers: first.headers });
  t.equal(read.json().status, 'EXPIRED', 'and its reservation reads EXPIRED');
  const pay = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: first.headers,
    payload: { reservationId },
  });
  t.same([pay.statusCode, pay.json().code], [409, 'RESERVATION_EXPIRED']);
  const cancel = await app.inject({ method: 'DELETE', url: `/reservations/${reservationId}`, headers: first.headers });
  t.same([cancel.statusCode, cancel.json().code], [409, 'RESERVATION_NOT_HELD']);

  const reheld = await app.inject({
    method: 'POST',
    url: `${base}/reservations`,
    headers: second.headers,
    payload: { seatNo: 10 },
  });
  t.equal(reheld.statusCode, 201, 'someone else can take it');

  // The sweep records the lapsed hold but leaves the seat with its new holder.
  const { released, seatsFreed } = await releaseLapsedHolds({ sql: stack.sql });
  t.same({ released, seatsFreed }, { released: 1, seatsFreed: 0 });
  t.equal((await stack.db.reservation.findUniqueOrThrow({ where: { id: reservationId } })).status, 'EXPIRED');
  const seat = await stack.db.seat.findFirstOrThrow({ where: { scheduleId: schedules[0]!.id, seatNo: 10 } });
  t.same([seat.status, seat.reservationId], ['HELD', reheld.json().reservationId]);
  t.same(await releaseLapsedHolds({ sql: stack.sql }), { released: 0, seatsFreed: 0, effects: [] }, 'idempotent');
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
});
