import { randomUUID } from 'node:crypto';
import t from 'tap';
import { loadConfig } from '@concert/config';
import { createServer } from '@concert/http';
import { TEST_ADMIN_KEY } from '@concert/testing';
import booking from '../src/app.js';
import { buildStack } from './helper.js';

const DAY_MS = 86_400_000;

t.test('operators see seats sold, held and left on each future date of a concert', async (t) => {
  const stack = await buildStack(t);
  const { app, db, sql, concert, schedules } = stack;
  const [first, second, third] = schedules;
  const holdUrl = (scheduleId: string) => `/concerts/${concert.id}/schedules/${scheduleId}/reservations`;
  const sales = (headers: Record<string, string> = { 'x-admin-key': TEST_ADMIN_KEY }, concertId = concert.id) =>
    app.inject({ method: 'GET', url: `/admin/concerts/${concertId}/schedules`, headers });

  // ann buys seats 1 and 2 of the first date and holds 3; bob's hold on 4 has lapsed (not yet
  // released by the worker), his hold on seat 5 of the second date is live.
  const ann = await stack.fan('ann');
  const bob = await stack.fan('bob');
  const hold = async (fan: typeof ann, scheduleId: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url: holdUrl(scheduleId), headers: fan.headers, payload });
    t.equal(response.statusCode, 201, `hold ${JSON.stringify(payload)}`);
    return response.json();
  };
  const bought = await hold(ann, first!.id, { seatNos: [1, 2] });
  await app.inject({ method: 'POST', url: '/points/charge', headers: ann.headers, payload: { amount: 1_000_000 } });
  const paid = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: ann.headers,
    payload: { reservationIds: bought.reservations.map((r: { reservationId: string }) => r.reservationId) },
  });
  t.equal(paid.statusCode, 201, 'ann paid for seats 1 and 2');
  await hold(await stack.fan('ann'), first!.id, { seatNo: 3 });
  const lapsing = await hold(bob, first!.id, { seatNo: 4 });
  await sql.query(`UPDATE seat SET hold_expires_at = now() - interval '1 second' WHERE reservation_id = $1`, [
    lapsing.reservationId,
  ]);
  await sql.query(`UPDATE reservation SET expires_at = now() - interval '1 second' WHERE id = $1`, [
    lapsing.reservationId,
  ]);
  await hold(bob, second!.id, { seatNo: 5 });
  // A date already over is history, not on sale: it is left out.
  await db.schedule.create({
    data: {
      concertId: concert.id,
      startsAt: new Date(Date.now() - DAY_MS),
      seats: { create: [{ seatNo: 1, price: 1, status: 'SOLD' }] },
    },
  });

  const response = await sales();
  t.equal(response.statusCode, 200);
  t.equal(response.headers['cache-control'], 'no-store');
  t.same(response.json(), [
    {
      scheduleId: first!.id,
      startsAt: first!.startsAt.toISOString(),
      totalSeats: 50,
      soldSeats: 2,
      heldSeats: 1,
      availableSeats: 47,
    },
    {
      scheduleId: second!.id,
      startsAt: second!.startsAt.toISOString(),
      totalSeats: 50,
      soldSeats: 0,
      heldSeats: 1,
      availableSeats: 49,
    },
    {
      scheduleId: third!.id,
      startsAt: third!.startsAt.toISOString(),
      totalSeats: 50,
      soldSeats: 0,
      heldSeats: 0,
      availableSeats: 50,
    },
  ]);

  // What operators see agrees with what fans see.
  const carl = await stack.fan('carl');
  const fans = (
    await app.inject({ method: 'GET', url: `/concerts/${concert.id}/schedules`, headers: carl.headers })
  ).json() as { id: string; availableSeats: number }[];
  t.same(
    fans.map((date) => [date.id, date.availableSeats]),
    response
      .json()
      .map((date: { scheduleId: string; availableSeats: number }) => [date.scheduleId, date.availableSeats]),
    "the fans' dates show the same seats left",
  );

  t.test('a concert with no future date has none; one that does not exist is 404', async (t) => {
    const empty = await db.concert.create({
      data: {
        title: 'Nothing yet',
        queue: { create: { id: 'nothing-yet', maxActive: 1, activeTtlSeconds: 60, abandonAfterSeconds: 60 } },
      },
    });
    const none = await sales(undefined, empty.id);
    t.same([none.statusCode, none.json()], [200, []]);
    for (const concertId of [randomUUID(), 'not-a-uuid']) {
      const missing = await sales(undefined, concertId);
      t.same(
        [missing.statusCode, missing.json()],
        [
          404,
          { statusCode: 404, code: 'CONCERT_NOT_FOUND', error: 'Not Found', message: `Concert ${concertId} not found` },
        ],
        concertId,
      );
    }
  });

  t.test('without the admin key: 401 ADMIN_KEY_INVALID, before anything else is looked at', async (t) => {
    const attempts: [string, Record<string, string>][] = [
      ['no key', {}],
      ['a wrong key', { 'x-admin-key': 'not-the-admin-key' }],
      ['the key with a character more', { 'x-admin-key': `${TEST_ADMIN_KEY}x` }],
      ["a fan's token", carl.headers],
    ];
    for (const [what, headers] of attempts) {
      const refused = await sales(headers, 'not-a-uuid');
      t.same(
        [refused.statusCode, refused.json().code, refused.json().error],
        [401, 'ADMIN_KEY_INVALID', 'Unauthorized'],
        what,
      );
      t.equal(refused.headers['www-authenticate'], 'ApiKey header="X-Admin-Key"', `${what}: says which credential`);
    }
  });
});

t.test('booking with no admin key configured boots, says so, and refuses every operator', async (t) => {
  const stack = await buildStack(t);
  const lines: string[] = [];
  const config = loadConfig({ ...stack.env, ADMIN_API_KEY: '', LOG_LEVEL: 'warn' });
  t.equal(config.ADMIN_API_KEY, undefined, 'no key in this configuration');
  const keyless = createServer(config, 'booking', {
    logger: { level: 'warn', stream: { write: (line: string) => void lines.push(line) } },
  });
  await keyless.register(booking, { config });
  await keyless.ready();
  t.teardown(() => keyless.close());
  t.ok(
    lines.some((line) => /no ADMIN_API_KEY/.test(line)),
    'a startup log line says the operators’ routes are closed',
  );

  for (const key of [undefined, TEST_ADMIN_KEY, 'local-admin-key-change-me']) {
    const refused = await keyless.inject({
      method: 'GET',
      url: `/admin/concerts/${stack.concert.id}/schedules`,
      headers: key ? { 'x-admin-key': key } : {},
    });
    t.same([refused.statusCode, refused.json().code], [401, 'ADMIN_KEY_INVALID'], `key ${key ?? 'absent'}`);
  }
  const fans = await keyless.inject({ method: 'GET', url: '/concerts' });
  t.equal(fans.statusCode, 200, 'the fans’ routes work as ever');
});
