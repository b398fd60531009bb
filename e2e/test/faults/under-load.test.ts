/*
 * Bad days under load. Two instances of every app on a private redis-server (append-only file on)
 * and a private PostgreSQL cluster — never the shared ones — while fans join, poll, hold, charge
 * and pay: 200 payments at once on a freshly started booking; Redis killed (kill -9) and restarted
 * with its append-only file, then restarted empty; PostgreSQL crashed (immediate shutdown) and
 * restarted, then hung (SIGSTOP); booking's backends terminated in the middle of their transactions. One system for all
 * of it: starting six processes is most of this file's time.
 *
 * A booking instance SIGKILLed during a payment burst has a file of its own: booking-crash.test.ts.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { holdSeat } from '@concert/booking-domain';
import { ApiError, createBookingClient } from '@concert/contract';
import { hasRedisServer, invariantViolations, NO_VIOLATIONS, privatePostgresUnavailable } from '@concert/testing';
import {
  allReady,
  between,
  doubleEffects,
  forbidden,
  freeSeat,
  holdAnySeat,
  sleep,
  startFaultSystem,
  startLoad,
  summary,
  unrecordedPayments,
  untilAvailable,
  watchReadiness,
  type Answer,
  type FaultSystem,
} from './harness.js';

// Six app processes start on a machine that may be busy; the scenarios themselves take about 45 s.
t.setTimeout(300_000);

const skip = !hasRedisServer ? 'redis-server is not installed' : privatePostgresUnavailable;
const PAYMENTS = 200;
/** Answers that take longer than this during an outage fail the test. */
const ANSWER_WITHIN_MS = 1500;
/** Requests served (not refused) while a dependency recovers may take longer, but never hang. */
const RECOVERING_WITHIN_MS = 5000;

t.test('bad days under load, two instances of every app', { skip }, async (t) => {
  // Holds outlive the set-up of the 200 payments; lapsing holds are made on purpose below.
  const system = await startFaultSystem(t, { appendonly: true, env: { HOLD_SECONDS: '120' } });
  const { stack, gateways, admin, concert, answers, db, identityToken } = system;

  await t.test(`${PAYMENTS} payments at once on a freshly started booking with a pool of 10: all paid`, (t) =>
    coldPayments(t, system),
  );

  await admin.putQueue(concert.queueId, { maxActive: 6, activeTtlSeconds: 60 });
  // A paused line whose waiters must keep their place through a Redis crash.
  await admin.putQueue('faults-lobby', { paused: true });
  const waiters = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const joined = await gateways[i % 2]!.joinQueue('faults-lobby', await identityToken(`waiter-${i}`));
      return { token: joined.data.token, position: joined.data.position };
    }),
  );
  const workerReadiness = watchReadiness(stack.workers);
  const load = startLoad(system, { fans: 8 });
  t.teardown(() => load.stop());
  await sleep(3000);
  t.ok(load.paidCount() > 0, `the load pays (${load.paidCount()} fans so far)`);

  /**
   * The checks of every outage, on the answers to requests made from `from` (the failure) until
   * `readyAt` (every instance ready again): never a 500 or a dropped connection; while the
   * dependency is gone (until `backAt`) every answer within 1.5 s, and every 503 throughout. While
   * it recovers, requests are served again, with real work on a machine that may be saturated:
   * those must not hang (5 s).
   */
  const checkOutage = (t: Test, label: string, from: number, backAt: number, readyAt: number) => {
    const outage = between(answers, from, readyAt);
    t.comment(`${label}: ${summary(outage)}`);
    t.ok(
      outage.some((a) => a.status === 503),
      'the outage was answered with 503s',
    );
    t.same(forbidden(outage), [], 'never a 500, never a dropped connection');
    const bound = (a: Answer) => (a.startedAt < backAt || a.status === 503 ? ANSWER_WITHIN_MS : RECOVERING_WITHIN_MS);
    t.same(
      outage.filter((a) => a.ms > bound(a)),
      [],
      `answers within ${ANSWER_WITHIN_MS} ms (${RECOVERING_WITHIN_MS} ms for work served while recovering)`,
    );
    t.same(stack.unexpectedExits, [], 'no process exited');
  };
  /** Resolves with the time the load's paid count first passes `before` (0 if not within 10 s). */
  const paidAgain = async (before: number) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
      if (load.paidCount() > before) return Date.now();
    }
    return 0;
  };

  await t.test('Redis kill -9, down 2 s, restarted with its append-only file', async (t) => {
    // appendfsync everysec: what was acknowledged in the last second before a crash may be lost
    // (the documented trade-off); the waiters joined longer ago than that.
    await sleep(1100);
    const paidBefore = load.paidCount();
    const killedAt = Date.now();
    await system.redis.kill();
    await sleep(2000);
    await system.redis.start();
    const backAt = Date.now();
    const readyAt = await allReady(stack, 10_000);
    t.comment(
      `RECOVERY redis-aof: all ${stack.apps.length} instances ready ${readyAt - backAt} ms after Redis was back`,
    );
    t.ok(readyAt - backAt <= 3000, `every instance ready within 3 s of the restart (${readyAt - backAt} ms)`);
    checkOutage(t, 'from the crash until all ready', killedAt, backAt, readyAt);

    const places = await Promise.all(
      waiters.map(
        async ({ token }, i) => (await untilAvailable(() => gateways[i % 2]!.pollToken('faults-lobby', token))).data,
      ),
    );
    t.same(
      places.map((p) => [p.status, p.position]),
      waiters.map((w) => ['WAITING', w.position]),
      'every waiter kept their token and place',
    );
    const paidAt = await paidAgain(paidBefore);
    t.ok(paidAt, 'fans pay again');
    t.comment(`RECOVERY redis-aof: first payment ${paidAt - backAt} ms after Redis was back`);
  });

  await t.test('Redis restarted empty (no append-only file): it all comes back with no operator', async (t) => {
    await sleep(1000);
    const paidBefore = load.paidCount();
    const killedAt = Date.now();
    await system.redis.kill();
    await sleep(1500);
    await system.redis.start({ appendonly: false });
    const backAt = Date.now();
    const allReadyAt = allReady(stack, 10_000);
    allReadyAt.catch(() => {}); // awaited below
    // A hold lapsing one second from now: the worker must release it though Redis lost its schedulers.
    const lapsing = await holdSeat({
      sql: system.sql,
      userId: 'probe-hold',
      concertId: concert.id,
      scheduleId: system.scheduleIds[0]!,
      seatNo: await freeSeat(system, system.scheduleIds[0]!),
      holdSeconds: 1,
      maxHolds: 4,
    });

    // Joins: the queue's settings come back from PostgreSQL on the first join that misses them.
    const probe = await identityToken('probe-join');
    let joinedAt = 0;
    const refusals: Record<string, number> = {};
    for (const deadline = backAt + 10_000; !joinedAt && Date.now() < deadline; await sleep(50)) {
      await gateways[1]!.joinQueue(concert.queueId, probe).then(
        () => (joinedAt = Date.now()),
        (error: ApiError) => (refusals[error.code] = (refusals[error.code] ?? 0) + 1),
      );
    }
    t.ok(joinedAt, 'joins work again');
    t.comment(
      `RECOVERY redis-empty: first join ${joinedAt - backAt} ms after Redis came back empty (before: ${JSON.stringify(refusals)})`,
    );
    t.ok(joinedAt - backAt <= 2000, `within 2 s (${joinedAt - backAt} ms)`);

    // Admission: fans wait in a paused line; once it is resumed only the worker's tick admits them.
    await untilAvailable(() => admin.putQueue('faults-admission', { paused: true, maxActive: 5 }));
    const waiting = await Promise.all(
      [0, 1].map(
        async (i) =>
          (
            await untilAvailable(async () =>
              gateways[i]!.joinQueue('faults-admission', await identityToken(`admitted-${i}`)),
            )
          ).data,
      ),
    );
    t.same(
      waiting.map((w) => w.status),
      ['WAITING', 'WAITING'],
      'waiting while paused',
    );
    await untilAvailable(() => admin.putQueue('faults-admission', { paused: false }));
    let admittedAt = 0;
    for (const deadline = backAt + 10_000; !admittedAt && Date.now() < deadline; await sleep(50)) {
      const polls = await Promise.all(
        waiting.map((w, i) => gateways[i]!.pollToken('faults-admission', w.token).catch(() => undefined)),
      );
      if (polls.every((poll) => poll?.data.status === 'ACTIVE')) admittedAt = Date.now();
    }
    t.ok(admittedAt, 'the worker admits again');
    t.comment(`RECOVERY redis-empty: admission resumed ${admittedAt - backAt} ms after Redis came back empty`);
    t.ok(admittedAt - backAt <= 5000, `within 5 s (${admittedAt - backAt} ms)`);

    let releasedAt = 0;
    for (const deadline = backAt + 10_000; !releasedAt && Date.now() < deadline; await sleep(100)) {
      const row = await db.reservation.findUnique({ where: { id: lapsing.reservationId }, select: { status: true } });
      if (row?.status === 'EXPIRED') releasedAt = Date.now();
    }
    t.ok(releasedAt, 'the worker releases lapsed holds again');
    t.comment(`RECOVERY redis-empty: a hold lapsing 1 s after the restart released ${releasedAt - backAt} ms after it`);
    t.ok(releasedAt - backAt <= 5000, `within 5 s (${releasedAt - backAt} ms)`);

    const readyAt = await allReadyAt;
    t.comment(`RECOVERY redis-empty: all instances ready ${readyAt - backAt} ms after Redis came back`);
    const since = workerReadiness.samples.filter((sample) => sample.at >= killedAt);
    for (const url of stack.workers) {
      const samples = since.filter((sample) => sample.url === url);
      const firstDown = samples.findIndex((sample) => !sample.ready);
      t.ok(firstDown >= 0, `worker ${url}: readiness went false`);
      t.ok(
        samples.slice(firstDown).some((sample) => sample.ready),
        `worker ${url}: and true again`,
      );
    }
    checkOutage(t, 'from the crash until all ready', killedAt, backAt, readyAt);
    // Their tokens went with Redis: fans told 401 join again, and pay.
    const paidAt = await paidAgain(paidBefore);
    t.ok(paidAt, 'fans pay again');
    t.comment(`RECOVERY redis-empty: first payment ${paidAt - backAt} ms after Redis came back`);
  });

  await t.test('PostgreSQL immediate shutdown (a crash), down 1.5 s, then recovery', async (t) => {
    const paidBefore = load.paidCount();
    const crashedAt = Date.now();
    await system.postgres.stop('immediate');
    await sleep(1500);
    await system.postgres.start();
    const backAt = Date.now();
    const readyAt = await allReady(stack, 10_000);
    t.comment(
      `RECOVERY postgres-crash: down ${backAt - crashedAt} ms (recovery included); all ready ${readyAt - backAt} ms after`,
    );
    t.ok(readyAt - backAt <= 3000, `every instance ready within 3 s (${readyAt - backAt} ms)`);
    checkOutage(t, 'from the crash until all ready', crashedAt, backAt, readyAt);
    const paidAt = await paidAgain(paidBefore);
    t.ok(paidAt, 'fans pay again');
    t.comment(`RECOVERY postgres-crash: first payment ${paidAt - backAt} ms after PostgreSQL was back`);
  });

  await t.test(
    'PostgreSQL hung (SIGSTOP): every booking write answers 503 with Retry-After within 1.5 s',
    async (t) => {
      const { bookings } = system;
      // Probe fans with a hold to cancel, one to pay and a payment to refund (both instances serve them).
      await admin.putQueue(concert.queueId, { maxActive: 100 });
      const probes = await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const [gateway, booking] = [gateways[i % 2]!, bookings[i % 2]!];
          const identity = await identityToken(`hung-probe-${i}`);
          const join = async () =>
            (await untilAvailable(() => gateway.joinQueue(concert.queueId, identity))).data.token;
          const paying = await join();
          const [toCancel, toPay, paid] = [
            await holdAnySeat(system, booking, paying),
            await holdAnySeat(system, booking, paying),
            await holdAnySeat(system, booking, paying),
          ];
          await untilAvailable(() => booking.chargePoints(paying, 3 * 10_000, { idempotencyKey: randomUUID() }));
          const payment = await untilAvailable(() =>
            booking.payReservations(paying, { reservationId: paid.reservationId }, { idempotencyKey: randomUUID() }),
          );
          // That payment ended the token: the fan joins again for the writes below.
          return { booking, token: await join(), toCancel, toPay, paymentId: payment.data.paymentId };
        }),
      );
      await admin.putQueue(concert.queueId, { maxActive: 6 });
      const paidBefore = load.paidCount();
      const writes = (probe: (typeof probes)[number]) => ({
        hold: () => probe.booking.holdSeats(probe.token, concert.id, system.scheduleIds[1]!, { seatNo: 1 }),
        cancel: () => probe.booking.cancelReservation(probe.token, probe.toCancel.reservationId),
        charge: () => probe.booking.chargePoints(probe.token, 1, { idempotencyKey: randomUUID() }),
        pay: () =>
          probe.booking.payReservations(
            probe.token,
            { reservationId: probe.toPay.reservationId },
            { idempotencyKey: randomUUID() },
          ),
        refund: () => probe.booking.refundPayment(probe.token, probe.paymentId, { idempotencyKey: randomUUID() }),
      });
      /** One write: its route, how long it took, and what came back. */
      const attempt = async (route: string, call: () => Promise<unknown>) => {
        const startedAt = Date.now();
        const error = await call().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        const ms = Date.now() - startedAt;
        if (!(error instanceof ApiError)) return { route, ms, status: error ? String(error) : 'succeeded' };
        return { route, ms, status: `${error.status} ${error.code}`, retryAfter: error.headers.get('retry-after') };
      };

      const hungAt = Date.now();
      system.postgres.pause();
      let results: Awaited<ReturnType<typeof attempt>>[];
      try {
        // Every write route of every probe at once, and more charges than both pools have
        // connections (20 each): some requests wait for a connection, then meet the hung server.
        results = await Promise.all([
          ...probes.flatMap((probe) => Object.entries(writes(probe)).map(([route, call]) => attempt(route, call))),
          ...Array.from({ length: 60 }, (_, i) => attempt('charge', writes(probes[i % probes.length]!).charge)),
        ]);
      } finally {
        system.postgres.resume();
      }
      const backAt = Date.now();
      const slowest = Math.max(...results.map((result) => result.ms));
      t.comment(`RECOVERY postgres-hung: ${results.length} writes during the hang, slowest answer ${slowest} ms`);
      t.same(
        results.filter((result) => result.status !== '503 SERVICE_UNAVAILABLE' || result.retryAfter !== '1'),
        [],
        'every write (hold, cancel, charge, pay, refund) answered 503 SERVICE_UNAVAILABLE with Retry-After',
      );
      t.same(
        results.filter((result) => result.ms > ANSWER_WITHIN_MS),
        [],
        `each within ${ANSWER_WITHIN_MS} ms (slowest ${slowest} ms)`,
      );
      const readyAt = await allReady(stack, 10_000);
      checkOutage(t, 'from the hang until all ready', hungAt, backAt, readyAt);
      const paidAt = await paidAgain(paidBefore);
      t.ok(paidAt, 'fans pay again');
    },
  );

  await t.test("booking's backends terminated in the middle of their transactions", async (t) => {
    const paidBefore = load.paidCount();
    const startedAt = Date.now();
    const states: string[] = [];
    // For 4 s, every booking backend caught inside a transaction (a hold, charge or payment) is cut.
    while (Date.now() - startedAt < 4000) {
      const cut = await system.sql.query<{ state: string }>(
        `SELECT state, pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'booking' AND xact_start IS NOT NULL`,
      );
      states.push(...cut.rows.map((row) => row.state));
      await sleep(15);
    }
    const endedAt = Date.now();
    t.comment(`terminated ${states.length} booking backends mid-transaction (${JSON.stringify(countBy(states))})`);
    t.ok(states.length > 0, 'backends were cut mid-transaction');
    checkOutage(t, 'while cutting, and 2 s after', startedAt, endedAt, endedAt + 2000);
    const paidAt = await paidAgain(paidBefore);
    t.ok(paidAt, 'fans kept paying');
  });

  await load.stop();
  await workerReadiness.stop();
  const retried = load.records.filter((r) => r.chargeRetries + r.payRetries > 0);
  t.comment(`whole run: ${summary(answers)}; ${load.records.length} fans, ${load.paidCount()} paid`);
  t.comment(
    `${retried.length} fans retried a keyed write after a 503; ${retried.filter((r) => r.outcome === 'paid').length} of them paid`,
  );
  t.ok(
    retried.some((r) => r.outcome === 'paid'),
    'keyed retries after 503s completed (exactly once: checked below)',
  );
  t.same(forbidden(answers), [], 'no 500 and no dropped connection in the whole run');
  t.same(stack.unexpectedExits, [], 'no process exited');
  t.same(await invariantViolations(db), NO_VIOLATIONS, 'the SQL invariants hold');
  t.same(await doubleEffects(db), { charges: [], payments: [] }, 'no keyed write took effect twice');
  t.same(await unrecordedPayments(db, load.records), [], 'every payment a fan was told about is the one recorded');
  const charged = load.records.filter((r) => r.charged !== undefined).map((r) => r.userId);
  t.equal(
    await db.pointTransaction.count({ where: { type: 'CHARGE', userId: { in: charged } } }),
    charged.length,
    'every charge a fan was told about is recorded exactly once',
  );
  t.same(
    await stack.stop(),
    stack.apps.map(() => 0),
    'after all that, every instance stops cleanly on SIGTERM',
  );
});

/**
 * The wedge: payments on a booking whose caches are cold, more of them than its pool has
 * connections. Each must be paid; a starved pool may answer 503 (then the client retries with the
 * same key), never hang.
 */
async function coldPayments(t: Test, system: FaultSystem) {
  const { stack, gateways, bookings, admin, concert, db, identityToken } = system;
  await admin.putQueue(concert.queueId, { maxActive: 1000, activeTtlSeconds: 300 });
  const fans: { token: string; reservationId: string }[] = [];
  for (let batch = 0; batch < PAYMENTS / 20; batch++) {
    const ready = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const userId = `cold-${batch * 20 + i}`;
        const identity = await identityToken(userId);
        const { token } = (await untilAvailable(() => gateways[i % 2]!.joinQueue(concert.queueId, identity))).data;
        const { reservationId, price } = await holdAnySeat(system, bookings[1]!, token);
        // Set-up on a busy machine: a request whose database budget ran out is retried, under its key.
        const chargeKey = randomUUID();
        await untilAvailable(() => bookings[1]!.chargePoints(token, price, { idempotencyKey: chargeKey }));
        return { token, reservationId };
      }),
    );
    fans.push(...ready);
  }
  // A fresh process: nothing cached (concerts, verified tokens), a pool of 10.
  const cold = stack.apps.find((app) => app.url === stack.bookings[0])!;
  await stack.restart(cold, { env: { DATABASE_POOL_SIZE: '10' } });
  const booking = createBookingClient(cold.url);
  const started = Date.now();
  let unavailable = 0;
  const results = await Promise.all(
    fans.map(async ({ token, reservationId }) => {
      const idempotencyKey = randomUUID();
      for (;;) {
        try {
          return (await booking.payReservations(token, { reservationId }, { idempotencyKey })).status;
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== 503 || Date.now() - started > 30_000) {
            return error instanceof ApiError ? `${error.status} ${error.code}` : String(error);
          }
          unavailable++;
          await sleep(200);
        }
      }
    }),
  );
  const took = Date.now() - started;
  t.same(
    results.filter((status) => status !== 201),
    [],
    `all ${PAYMENTS} paid`,
  );
  t.comment(
    `RECOVERY cold-payments: ${PAYMENTS} concurrent payments (pool 10) all paid in ${took} ms, ${unavailable} 503s retried`,
  );
  t.equal(await db.payment.count({ where: { userId: { startsWith: 'cold-' } } }), PAYMENTS, 'each recorded once');
  t.equal((await fetch(`${cold.url}/health/ready`)).status, 200, 'the instance is ready afterwards (not wedged)');
}

function countBy(values: string[]) {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
