import { randomUUID } from 'node:crypto';
import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { queueKeys } from '@concert/queue';
import { ApiError, createBookingClient, createGatewayClient, type Placement } from '@concert/contract';
import {
  invariantViolations,
  NO_VIOLATIONS,
  setupTestContext,
  startStack,
  TEST_ADMIN_KEY,
  untilAvailable,
} from '@concert/testing';

const FANS = 300;
const MAX_ACTIVE = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  const gateways = stack.gateways.map((url) => createGatewayClient(url));
  const bookings = stack.bookings.map((url) => createBookingClient(url));
  const [gateway] = gateways;
  const gatewayOf = (i: number) => gateways[i % gateways.length]!;
  const bookingOf = (i: number) => bookings[(i >> 1) % bookings.length]!;

  const [concert] = (await bookings[0]!.listConcerts()).data;
  const queueId = concert!.queueId;
  const settings = await gateway!
    .admin(TEST_ADMIN_KEY)
    .putQueue(queueId, { maxActive: MAX_ACTIVE, activeTtlSeconds: 300 });
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
        const figures = await gateway!.getQueue(queueId);
        highestOutside = Math.max(highestOutside, figures.data.active);
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
  let soldOutSeen = 0;
  const outcomes = await Promise.all(
    Array.from({ length: FANS }, async (_, i) => {
      const [gateway, booking] = [gatewayOf(i), bookingOf(i)];
      const userId = `fan-${String(i).padStart(3, '0')}`;
      const identity = await context.identityToken(userId);
      await sleep(i * 5);
      // Two of every app on a busy machine: a 503 (Retry-After) is retried, as a client does; every
      // write is retried under the Idempotency-Key it was first sent with.
      const joined = await untilAvailable(() => gateway.joinQueue(queueId, identity));
      if (joined.status !== 201) throw new Error(`${userId} join: ${joined.status}`);
      const { token } = joined.data;
      arrival.set(userId, Number(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti));

      // Wait for the turn; once everything is sold the queue says SOLD_OUT and admits nobody more.
      let placement: Placement = joined.data;
      while (placement.status !== 'ACTIVE' && placement.queueStatus !== 'SOLD_OUT') {
        const eta = placement.etaSeconds ?? 1;
        await sleep(Math.min(1000, Math.max(200, eta * 250)) + Math.random() * 100);
        placement = (await untilAvailable(() => gateway.pollToken(queueId, token))).data;
      }
      if (placement.status !== 'ACTIVE') {
        soldOutSeen++;
        await untilAvailable(() => gateway.leaveQueue(queueId, token));
        return { userId, outcome: 'sold out' as const, amount: 0 };
      }

      // Active: find a free seat on any date, retrying another seat on 409.
      for (let attempt = 0; attempt < 5; attempt++) {
        const schedules = (await untilAvailable(() => booking.listSchedules(token, concert!.id))).data;
        const open = schedules.filter((s) => s.availableSeats > 0);
        if (!open.length) break;
        const schedule = shuffle(open)[0]!;
        const seats = (await untilAvailable(() => booking.listSeats(token, concert!.id, schedule.id))).data;
        for (const seat of shuffle(seats.filter((s) => s.status === 'AVAILABLE')).slice(0, 5)) {
          let held;
          try {
            const holdKey = randomUUID();
            held = (
              await untilAvailable(() =>
                booking.holdSeats(
                  token,
                  concert!.id,
                  schedule.id,
                  { seatNo: seat.seatNo },
                  { idempotencyKey: holdKey },
                ),
              )
            ).data;
          } catch (error) {
            if (error instanceof ApiError && error.code === 'SEAT_UNAVAILABLE') continue;
            throw error;
          }
          const [chargeKey, payKey] = [randomUUID(), randomUUID()];
          await untilAvailable(() => booking.chargePoints(token, 200_000, { idempotencyKey: chargeKey }));
          const paid = await untilAvailable(() =>
            booking.payReservations(token, { reservationId: held.reservationId }, { idempotencyKey: payKey }),
          );
          if (paid.status !== 201) throw new Error(`${userId} pay: ${paid.status}`);
          const after = await gateway.pollToken(queueId, token).catch((error: ApiError) => error);
          if (!(after instanceof ApiError) || after.code !== 'TOKEN_EXPIRED') {
            throw new Error(`${userId}: token still live after paying`);
          }
          return { userId, outcome: 'paid' as const, amount: paid.data.amount };
        }
      }
      const left = await untilAvailable(() => gateway.leaveQueue(queueId, token));
      if (left.status !== 204) throw new Error(`${userId} leave: ${left.status}`);
      return { userId, outcome: 'sold out' as const, amount: 0 };
    }),
  );
  running = false;
  await Promise.all(watchers);

  const paid = outcomes.filter((o) => o.outcome === 'paid');
  t.equal(paid.length, 150, 'every one of the 150 seats was sold');
  t.equal(outcomes.length - paid.length, 150, 'the other 150 fans found it sold out and left');
  t.ok(soldOutSeen > 0, `${soldOutSeen} waiting fans were told SOLD_OUT rather than admitted to nothing`);
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
