import t from 'tap';
import { ApiError } from '@concert/contract';
import { NO_VIOLATIONS } from '@concert/testing';
import { buildStack, invariantViolations } from './helper.js';

t.test('100 active users race for one seat over HTTP: exactly one wins', async (t) => {
  const stack = await buildStack(t);
  const fans = await Promise.all(Array.from({ length: 100 }, (_, i) => stack.fan(`racer-${i}`)));
  t.ok(
    fans.every((f) => f.status === 'ACTIVE'),
    'all 100 are active',
  );
  const booking = await stack.client();

  const responses = await Promise.all(
    fans.map(async (fan) => {
      try {
        const { status, data } = await booking.holdSeats(fan.token, stack.concert.id, stack.schedules[1]!.id, {
          seatNo: 25,
        });
        return { status, body: { reservationId: data.reservationId } as { code?: string; reservationId?: string } };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return { status: error.status, body: { code: error.code } as { code?: string; reservationId?: string } };
      }
    }),
  );
  t.equal(responses.filter((r) => r.status === 201).length, 1, 'one 201');
  t.equal(
    responses.filter((r) => r.status === 409 && r.body.code === 'SEAT_UNAVAILABLE').length,
    99,
    '99 × 409 SEAT_UNAVAILABLE',
  );
  t.equal(
    await stack.db.reservation.count({ where: { scheduleId: stack.schedules[1]!.id, seatNo: 25 } }),
    1,
    'one reservation row',
  );
  t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
});

t.test('one user firing 10 holds at once never holds more than MAX_HOLDS_PER_USER', async (t) => {
  const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 4 });
  const fan = await stack.fan('greedy');
  const url = `/concerts/${stack.concert.id}/schedules/${stack.schedules[0]!.id}/reservations`;
  const responses = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      stack.app.inject({ method: 'POST', url, headers: fan.headers, payload: { seatNo: i + 1 } }),
    ),
  );
  t.equal(responses.filter((r) => r.statusCode === 201).length, 4);
  t.ok(responses.filter((r) => r.statusCode !== 201).every((r) => r.json().code === 'HOLD_LIMIT_REACHED'));
  t.equal(await stack.db.reservation.count({ where: { userId: 'greedy', status: 'HELD' } }), 4);
});
