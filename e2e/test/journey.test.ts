import { randomUUID } from 'node:crypto';
import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { queueKeys } from '@concert/queue';
import { invariantViolations, NO_VIOLATIONS, setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';

const FANS = 300;
const MAX_ACTIVE = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Json = Record<string, unknown> & { code?: string };

async function call(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Json & Json[] };
}

const shuffle = <T>(items: T[]) =>
  items
    .map((item) => [Math.random(), item] as const)
    .sort(([a], [b]) => a - b)
    .map(([, item]) => item);

t.test(`${FANS} fans, maxActive ${MAX_ACTIVE}: the whole journey over HTTP, two instances of every app`, async (t) => {
  const context = await setupTestContext(t, { database: true, env: { ADMIT_INTERVAL_MS: 200, LOG_LEVEL: 'warn' } });
  const db = context.db as Db;
  await seedDemoData(db);
  // Two of each, side by side on one Redis and one PostgreSQL; fans are spread across them.
  const stack = await startStack({ env: context.env, instances: { gateway: 2, booking: 2, worker: 2 } });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await stack.stop();
  });
  const [gateway] = stack.gateways;
  const [booking] = stack.bookings;
  const gatewayOf = (i: number) => stack.gateways[i % stack.gateways.length]!;
  const bookingOf = (i: number) => stack.bookings[(i >> 1) % stack.bookings.length]!;

  const [concert] = (await call('GET', `${booking}/concerts`)).body;
  const queueId = concert!.queueId as string;
  const settings = await call(
    'PUT',
    `${gateway}/admin/queues/${queueId}`,
    undefined,
    { maxActive: MAX_ACTIVE, activeTtlSeconds: 300 },
    { 'x-admin-key': TEST_ADMIN_KEY },
  );
  t.equal(settings.status, 200);

  // Watchers: the public figures (outside) and the active set itself (inside), sampled throughout.
  const keys = queueKeys(context.config.REDIS_PREFIX, queueId);
  let running = true;
  let highestOutside = 0;
  let highestInside = 0;
  const admissionBatches: string[][] = [];
  const seen = new Set<string>();
  const watchers = [
    (async () => {
      while (running) {
        const figures = await call('GET', `${gateway}/queues/${queueId}`);
        highestOutside = Math.max(highestOutside, figures.body.active as number);
        await sleep(25);
      }
    })(),
    (async () => {
      while (running) {
        const active = await context.redis.zrange(keys.active, '0', '-1');
        highestInside = Math.max(highestInside, active.length);
        const fresh = active.filter((userId) => !seen.has(userId));
        fresh.forEach((userId) => seen.add(userId));
        if (fresh.length) admissionBatches.push(fresh);
        await sleep(10);
      }
    })(),
  ];

  const arrival = new Map<string, number>();
  const outcomes = await Promise.all(
    Array.from({ length: FANS }, async (_, i) => {
      const [gateway, booking] = [gatewayOf(i), bookingOf(i)];
      const userId = `fan-${String(i).padStart(3, '0')}`;
      await sleep(i * 5);
      const joined = await call('POST', `${gateway}/queues/${queueId}/tokens`, undefined, { userId });
      if (joined.status !== 201) throw new Error(`${userId} join: ${joined.status}`);
      const token = joined.body.token as string;
      arrival.set(userId, Number(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti));

      for (let status = joined.body.status; status !== 'ACTIVE';) {
        const eta = (joined.body.etaSeconds as number | null) ?? 1;
        await sleep(Math.min(1000, Math.max(200, eta * 250)) + Math.random() * 100);
        const poll = await call('GET', `${gateway}/queues/${queueId}/tokens/me`, token);
        if (poll.status !== 200) throw new Error(`${userId} poll: ${poll.status} ${poll.body.code}`);
        status = poll.body.status;
      }

      // Active: find a free seat on any date, retrying another seat on 409.
      for (let attempt = 0; attempt < 5; attempt++) {
        const schedules = await call('GET', `${booking}/concerts/${concert!.id}/schedules`, token);
        if (schedules.status !== 200)
          throw new Error(`${userId} schedules: ${schedules.status} ${schedules.body.code}`);
        const open = schedules.body.filter((s) => (s.availableSeats as number) > 0);
        if (!open.length) break;
        const schedule = shuffle(open)[0]!;
        const seats = await call('GET', `${booking}/concerts/${concert!.id}/schedules/${schedule.id}/seats`, token);
        for (const seat of shuffle(seats.body.filter((s) => s.status === 'AVAILABLE')).slice(0, 5)) {
          const held = await call(
            'POST',
            `${booking}/concerts/${concert!.id}/schedules/${schedule.id}/reservations`,
            token,
            { seatNo: seat.seatNo },
          );
          if (held.status === 409 && held.body.code === 'SEAT_UNAVAILABLE') continue;
          if (held.status !== 201) throw new Error(`${userId} hold: ${held.status} ${held.body.code}`);
          const charged = await call(
            'POST',
            `${booking}/points/charge`,
            token,
            { amount: 200_000 },
            { 'idempotency-key': randomUUID() },
          );
          if (charged.status !== 200) throw new Error(`${userId} charge: ${charged.status}`);
          const paid = await call(
            'POST',
            `${booking}/payments`,
            token,
            { reservationId: held.body.reservationId },
            { 'idempotency-key': randomUUID() },
          );
          if (paid.status !== 201) throw new Error(`${userId} pay: ${paid.status} ${paid.body.code}`);
          const after = await call('GET', `${gateway}/queues/${queueId}/tokens/me`, token);
          if (after.body.code !== 'TOKEN_EXPIRED') throw new Error(`${userId}: token still live after paying`);
          return { userId, outcome: 'paid' as const, amount: paid.body.amount as number };
        }
      }
      const left = await call('DELETE', `${gateway}/queues/${queueId}/tokens/me`, token);
      if (left.status !== 204) throw new Error(`${userId} leave: ${left.status}`);
      return { userId, outcome: 'sold out' as const, amount: 0 };
    }),
  );
  running = false;
  await Promise.all(watchers);

  const paid = outcomes.filter((o) => o.outcome === 'paid');
  t.equal(paid.length, 150, 'every one of the 150 seats was sold');
  t.equal(outcomes.length - paid.length, 150, 'the other 150 fans found it sold out and left');
  t.ok(highestOutside <= MAX_ACTIVE, `public active count peaked at ${highestOutside} (≤ ${MAX_ACTIVE})`);
  t.ok(highestInside <= MAX_ACTIVE, `active set in Redis peaked at ${highestInside} (≤ ${MAX_ACTIVE})`);
  t.ok(highestInside >= MAX_ACTIVE - 5, 'and the room was actually used');

  const ranks = admissionBatches.map((batch) => batch.map((userId) => arrival.get(userId)!));
  const monotone = ranks.every((batch, i) => i === 0 || Math.min(...batch) > Math.max(...ranks[i - 1]!));
  t.ok(monotone, `admission in arrival order across ${ranks.length} observed admission batches`);

  const seats = await db.seat.groupBy({ by: ['status'], _count: true });
  t.same(
    seats.map((s) => [s.status, s._count]),
    [['SOLD', 150]],
    'all seats SOLD, none held or available',
  );
  t.equal(await db.payment.count(), 150, 'one payment per paid reservation');
  t.equal(await db.reservation.count({ where: { status: 'CONFIRMED' } }), 150);
  const revenue = await db.payment.aggregate({ _sum: { amount: true } });
  t.equal(
    revenue._sum.amount,
    paid.reduce((sum, o) => sum + o.amount, 0),
    'what fans were told they paid is what was recorded',
  );
  t.same(await invariantViolations(db), NO_VIOLATIONS, 'each balance equals its ledger; no seat sold or held twice');
  t.equal(await context.redis.hlen(keys.users), 0, 'no token is left live');

  const exitCodes = await stack.stop();
  stopped = true;
  t.same(exitCodes, [0, 0, 0, 0, 0, 0], 'all six processes stopped cleanly on SIGTERM');
});
