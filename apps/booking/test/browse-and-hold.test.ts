import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildStack } from './helper.js';

t.test('browsing and holding seats', async (t) => {
  const stack = await buildStack(t, { MAX_HOLDS_PER_USER: 2 }, { maxActive: 1 });
  const { app, concert, schedules, fan } = stack;
  const [first] = schedules;
  const alice = await fan('alice');
  const bob = await fan('bob'); // waiting: maxActive is 1
  const seatsUrl = `/concerts/${concert.id}/schedules/${first!.id}/seats`;
  const holdUrl = `/concerts/${concert.id}/schedules/${first!.id}/reservations`;

  t.test('the concert list is public and names the queue', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/concerts' });
    t.equal(response.statusCode, 200);
    t.same(response.json(), [{ id: concert.id, title: concert.title, queueId: 'demo-tour' }]);
  });

  t.test('dates: future ones by start, with seat counts', async (t) => {
    const response = await app.inject({
      method: 'GET',
      url: `/concerts/${concert.id}/schedules`,
      headers: alice.headers,
    });
    t.equal(response.statusCode, 200);
    const body = response.json();
    t.equal(body.length, 3);
    t.same(
      body.map((s: { id: string }) => s.id),
      schedules.map((s) => s.id),
    );
    t.ok(body.every((s: { startsAt: string }) => Date.parse(s.startsAt) > Date.now()));
    t.match(body[0], { totalSeats: 50, availableSeats: 50, startsAt: first!.startsAt.toISOString() });
  });

  t.test('seats: 1..50 by number with prices, all available', async (t) => {
    const response = await app.inject({ method: 'GET', url: seatsUrl, headers: alice.headers });
    t.equal(response.statusCode, 200);
    const seats = response.json();
    t.same(
      seats.map((s: { seatNo: number }) => s.seatNo),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    t.ok(seats.every((s: { status: string; price: number }) => s.status === 'AVAILABLE' && s.price > 0));
  });

  t.test('the guard: token missing, waiting, of another queue, dead; concert unknown; bad ids', async (t) => {
    const noToken = await app.inject({ method: 'GET', url: seatsUrl });
    t.same([noToken.statusCode, noToken.json().code], [401, 'TOKEN_INVALID']);
    const waiting = await app.inject({ method: 'GET', url: seatsUrl, headers: bob.headers });
    t.same([waiting.statusCode, waiting.json().code], [403, 'TOKEN_NOT_ACTIVE']);
    await stack.configureQueue('other-tour', { maxActive: 10 });
    const stranger = await fan('carol', 'other-tour');
    const wrongQueue = await app.inject({ method: 'GET', url: seatsUrl, headers: stranger.headers });
    t.same([wrongQueue.statusCode, wrongQueue.json().code], [403, 'TOKEN_WRONG_QUEUE']);
    const unknown = await app.inject({
      method: 'GET',
      url: `/concerts/${randomUUID()}/schedules`,
      headers: alice.headers,
    });
    t.same([unknown.statusCode, unknown.json().code], [404, 'CONCERT_NOT_FOUND']);
    const unknownSchedule = await app.inject({
      method: 'GET',
      url: `/concerts/${concert.id}/schedules/${randomUUID()}/seats`,
      headers: alice.headers,
    });
    t.same([unknownSchedule.statusCode, unknownSchedule.json().code], [404, 'SCHEDULE_NOT_FOUND']);
    const badId = await app.inject({ method: 'GET', url: `/concerts/not-a-uuid/schedules`, headers: alice.headers });
    t.same(
      [badId.statusCode, badId.json().code],
      [404, 'CONCERT_NOT_FOUND'],
      'an id of any shape that names nothing is 404',
    );
    const badSchedule = await app.inject({
      method: 'GET',
      url: `/concerts/${concert.id}/schedules/not-a-uuid/seats`,
      headers: alice.headers,
    });
    t.same([badSchedule.statusCode, badSchedule.json().code], [404, 'SCHEDULE_NOT_FOUND']);
    const dave = await fan('dave', 'other-tour');
    await stack.waitingRoom.remove('other-tour', dave.claims);
    const dead = await app.inject({ method: 'GET', url: '/points', headers: dave.headers });
    t.same([dead.statusCode, dead.json().code], [401, 'TOKEN_EXPIRED']);
  });

  t.test('holding a seat', async (t) => {
    const held = await app.inject({ method: 'POST', url: holdUrl, headers: alice.headers, payload: { seatNo: 7 } });
    t.equal(held.statusCode, 201);
    const body = held.json();
    t.match(body, { concertId: concert.id, scheduleId: first!.id, seatNo: 7, price: 150_000, status: 'HELD' });
    const holdMs = Date.parse(body.expiresAt) - Date.now();
    t.ok(holdMs > 290_000 && holdMs <= 300_000, `held for HOLD_SECONDS (${holdMs} ms left)`);
    const seat7 = (await app.inject({ method: 'GET', url: seatsUrl, headers: alice.headers })).json()[6];
    t.same(seat7, { seatNo: 7, price: 150_000, status: 'HELD' });
    const schedulesNow = (
      await app.inject({ method: 'GET', url: `/concerts/${concert.id}/schedules`, headers: alice.headers })
    ).json();
    t.equal(schedulesNow[0].availableSeats, 49);

    const again = await app.inject({ method: 'POST', url: holdUrl, headers: alice.headers, payload: { seatNo: 7 } });
    t.same([again.statusCode, again.json().code], [409, 'SEAT_UNAVAILABLE']);
    const missing = await app.inject({ method: 'POST', url: holdUrl, headers: alice.headers, payload: { seatNo: 51 } });
    t.same([missing.statusCode, missing.json().code], [404, 'SEAT_NOT_FOUND']);
    const noSchedule = await app.inject({
      method: 'POST',
      url: `/concerts/${concert.id}/schedules/${randomUUID()}/reservations`,
      headers: alice.headers,
      payload: { seatNo: 1 },
    });
    t.equal(noSchedule.statusCode, 404);

    t.equal(
      (await app.inject({ method: 'POST', url: holdUrl, headers: alice.headers, payload: { seatNo: 8 } })).statusCode,
      201,
    );
    const limit = await app.inject({ method: 'POST', url: holdUrl, headers: alice.headers, payload: { seatNo: 9 } });
    t.same([limit.statusCode, limit.json().code], [409, 'HOLD_LIMIT_REACHED'], 'MAX_HOLDS_PER_USER = 2');

    for (const payload of [{}, { seatNo: 0 }, { seatNo: '7' }, { seatNo: 1.5 }, { seatNo: null }]) {
      const bad = await app.inject({ method: 'POST', url: holdUrl, headers: alice.headers, payload });
      t.same([bad.statusCode, bad.json().code], [400, 'VALIDATION_ERROR'], JSON.stringify(payload));
    }
    t.equal(await stack.db.reservation.count(), 2, 'only the two successful holds were written');
  });

  t.test("reading and cancelling one's own reservations; someone else's are not found", async (t) => {
    const mine = await stack.db.reservation.findFirstOrThrow({ where: { userId: 'alice', seatNo: 7 } });
    const read = await app.inject({ method: 'GET', url: `/reservations/${mine.id}`, headers: alice.headers });
    t.equal(read.statusCode, 200);
    t.match(read.json(), { reservationId: mine.id, seatNo: 7, status: 'HELD' });

    const eve = await fan('eve', 'other-tour');
    const peek = await app.inject({ method: 'GET', url: `/reservations/${mine.id}`, headers: eve.headers });
    t.same([peek.statusCode, peek.json().code], [404, 'RESERVATION_NOT_FOUND']);
    const steal = await app.inject({ method: 'DELETE', url: `/reservations/${mine.id}`, headers: eve.headers });
    t.same([steal.statusCode, steal.json().code], [404, 'RESERVATION_NOT_FOUND']);
    const unknown = await app.inject({ method: 'GET', url: `/reservations/${randomUUID()}`, headers: alice.headers });
    t.equal(unknown.statusCode, 404);

    // A waiting token is enough for one's own reservations.
    const cancelled = await app.inject({ method: 'DELETE', url: `/reservations/${mine.id}`, headers: alice.headers });
    t.equal(cancelled.statusCode, 204);
    t.match((await app.inject({ method: 'GET', url: `/reservations/${mine.id}`, headers: alice.headers })).json(), {
      status: 'CANCELLED',
    });
    const seat7 = (await app.inject({ method: 'GET', url: seatsUrl, headers: alice.headers })).json()[6];
    t.equal(seat7.status, 'AVAILABLE', 'the seat is free again');
    const twice = await app.inject({ method: 'DELETE', url: `/reservations/${mine.id}`, headers: alice.headers });
    t.same([twice.statusCode, twice.json().code], [409, 'RESERVATION_NOT_HELD']);
  });
});
