/*
 * The fault suite's system and load: a private PostgreSQL cluster and a private redis-server (never
 * the shared ones), two instances of every app on them, a load loop of fans (join, poll, hold,
 * charge, pay) over the typed clients, and a record of every answer the clients got.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { ApiError, createBookingClient, createGatewayClient, type BookingClient } from '@concert/contract';
import {
  createTestDatabase,
  isUnavailable,
  untilAvailable,
  startPrivatePostgres,
  startPrivateRedis,
  startStack,
  testSystemEnv,
  TEST_ADMIN_KEY,
  type AppName,
  type PrivatePostgres,
  type PrivateRedis,
  type Stack,
} from '@concert/testing';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One answer a client got: what, when, how long it took, and its status (or `dropped`: no answer). */
export type Answer = { op: string; startedAt: number; ms: number; status: number | 'dropped'; detail?: string };

/** A `fetch` for the typed clients that records every answer. */
function recordingFetch(answers: Answer[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const op = `${init?.method ?? 'GET'} ${url.pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`;
    const startedAt = Date.now();
    try {
      // A generous bound, so a hang shows as a slow answer rather than a stuck test.
      const response = await fetch(input, { ...init, signal: AbortSignal.timeout(15_000) });
      const body = await response.clone().text();
      const detail = response.status >= 500 ? body.slice(0, 200) : undefined;
      answers.push({ op, startedAt, ms: Date.now() - startedAt, status: response.status, detail });
      return response;
    } catch (error) {
      answers.push({ op, startedAt, ms: Date.now() - startedAt, status: 'dropped', detail: String(error) });
      throw error;
    }
  };
}

export const SEATS_PER_EXTRA_DATE = 400;

/** Extra dates of 400 seats each, so the load never sells out; returns their ids. */
async function addDates(db: Db, concertId: string, dates: number) {
  const ids: string[] = [];
  for (let i = 0; i < dates; i++) {
    const { id } = await db.schedule.create({
      data: { concertId, startsAt: new Date(Date.now() + (60 + i) * 86_400_000) },
    });
    await db.$executeRaw`
      INSERT INTO seat (id, schedule_id, seat_no, price)
      SELECT gen_random_uuid(), ${id}::uuid, n, 10000 FROM generate_series(1, ${SEATS_PER_EXTRA_DATE}::int) AS n`;
    ids.push(id);
  }
  return ids;
}

export type FaultSystem = Awaited<ReturnType<typeof startFaultSystem>>;

/**
 * A private PostgreSQL cluster and redis-server, the demo data (plus seats), and two instances of
 * every app on them (or `instances`). `env` goes over the test settings.
 */
export async function startFaultSystem(
  t: Test,
  opts: { appendonly: boolean; env?: Record<string, string>; instances?: Partial<Record<AppName, number>> },
) {
  const [postgres, redis]: [PrivatePostgres, PrivateRedis] = await Promise.all([
    startPrivatePostgres(t),
    startPrivateRedis(t, { appendonly: opts.appendonly }),
  ]);
  const database = await createTestDatabase(postgres.url, { poolSize: 4 });
  t.teardown(() => database.drop().catch(() => {}));
  const { concert } = await seedDemoData(database.db);
  const scheduleIds = await addDates(database.db, concert.id, 3);

  const system = testSystemEnv({ databaseUrl: database.url, redisUrl: redis.url, prefix: 'wr' });
  const env = {
    ...system.env,
    ADMIT_INTERVAL_MS: '200',
    RELEASE_INTERVAL_MS: '500',
    HOLD_SECONDS: '3',
    // A request's database budget (and a statement's limit) below the 1 s default, so that what
    // a starved 2-core machine adds to answering still fits in the 1.5 s every outage answer gets.
    DATABASE_STATEMENT_TIMEOUT_MS: '700',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const stack = await startStack({
    env,
    // Each app's database sessions carry its name (pg_stat_activity.application_name).
    appEnv: { gateway: { PGAPPNAME: 'gateway' }, booking: { PGAPPNAME: 'booking' }, worker: { PGAPPNAME: 'worker' } },
    instances: { gateway: 2, booking: 2, worker: 2, ...opts.instances },
    // Six processes compiling their sources at once take a minute and more on a busy 2-core machine.
    readyTimeoutMs: 150_000,
  });
  t.teardown(async () => {
    await stack.stop();
  });
  const answers: Answer[] = [];
  const gateways = stack.gateways.map((url) => createGatewayClient({ baseUrl: url, fetch: recordingFetch(answers) }));
  const bookings = stack.bookings.map((url) => createBookingClient({ baseUrl: url, fetch: recordingFetch(answers) }));
  return {
    postgres,
    redis,
    database,
    db: database.db,
    sql: database.sql,
    stack,
    env,
    identityToken: system.identityToken,
    concert,
    scheduleIds,
    gateways,
    bookings,
    answers,
    admin: gateways[0]!.admin(TEST_ADMIN_KEY),
  };
}

export { untilAvailable };

/** Holds a free seat picked at random on the extra dates (another one after a 409), as `token`'s fan. */
export async function holdAnySeat(system: FaultSystem, booking: BookingClient, token: string) {
  for (let attempt = 0; ; attempt++) {
    const scheduleId = system.scheduleIds[Math.floor(Math.random() * system.scheduleIds.length)]!;
    const seatNo = 1 + Math.floor(Math.random() * SEATS_PER_EXTRA_DATE);
    try {
      const held = await untilAvailable(() => booking.holdSeats(token, system.concert.id, scheduleId, { seatNo }));
      return held.data;
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'SEAT_UNAVAILABLE') || attempt > 20) throw error;
    }
  }
}

/** A seat number of `scheduleId` nobody holds or bought. */
export async function freeSeat(system: FaultSystem, scheduleId: string) {
  const seat = await system.db.seat.findFirst({
    where: { scheduleId, status: 'AVAILABLE' },
    orderBy: { seatNo: 'desc' },
    select: { seatNo: true },
  });
  if (!seat) throw new Error(`no free seat on ${scheduleId}`);
  return seat.seatNo;
}

/** A fan of the load loop: one charge and one payment, each under its own Idempotency-Key. */
export type FanRecord = {
  userId: string;
  chargeKey: string;
  payKey: string;
  /** 503s answered to the keyed requests before the final answer (each one a keyed retry). */
  chargeRetries: number;
  payRetries: number;
  charged?: number;
  paid?: { paymentId: string; replayed: boolean };
  outcome: 'paid' | 'gave up';
  reason?: string;
};

/**
 * `fans` concurrent fans, one after another in each slot until `stop()`: join (identity token),
 * poll until ACTIVE, hold one seat (best available), charge, pay — spread over every gateway and
 * booking instance. A fan whose step keeps failing (token gone with Redis, hold lapsed) gives up
 * and the next one starts.
 */
export function startLoad(system: FaultSystem, opts: { fans: number }) {
  const { gateways, bookings, concert, identityToken } = system;
  const records: FanRecord[] = [];
  let running = true;
  let serial = 0;

  async function oneFan(slot: number) {
    const n = serial++;
    const gateway = gateways[n % gateways.length]!;
    const booking = bookings[(n + slot) % bookings.length]!;
    const record: FanRecord = {
      userId: `load-${n}`,
      chargeKey: randomUUID(),
      payKey: randomUUID(),
      chargeRetries: 0,
      payRetries: 0,
      outcome: 'gave up',
    };
    records.push(record);
    const counting =
      <T>(field: 'chargeRetries' | 'payRetries', call: () => Promise<T>) =>
      async () => {
        try {
          return await call();
        } catch (error) {
          if (isUnavailable(error)) record[field]++;
          throw error;
        }
      };
    try {
      const identity = await identityToken(record.userId);
      const joined = await untilAvailable(() => gateway.joinQueue(concert.queueId, identity));
      const { token } = joined.data;
      for (let status = joined.data.status; status !== 'ACTIVE';) {
        if (!running) return;
        await sleep(150);
        status = (await untilAvailable(() => gateway.pollToken(concert.queueId, token))).data.status;
      }
      const { reservationId, price: amount } = await holdAnySeat(system, booking, token);
      const charged = await untilAvailable(
        counting('chargeRetries', () => booking.chargePoints(token, amount, { idempotencyKey: record.chargeKey })),
      );
      record.charged = charged.data.balance;
      const paid = await untilAvailable(
        counting('payRetries', () =>
          booking.payReservations(token, { reservationId }, { idempotencyKey: record.payKey }),
        ),
      );
      record.paid = { paymentId: paid.data.paymentId, replayed: paid.headers.get('idempotent-replayed') === 'true' };
      record.outcome = 'paid';
    } catch (error) {
      record.reason = error instanceof ApiError ? `${error.status} ${error.code}` : String(error);
    }
  }

  const loops = Array.from({ length: opts.fans }, async (_, slot) => {
    while (running) await oneFan(slot);
  });
  return {
    records,
    /** Fans paid since `since` (by the time their record was made, roughly). */
    paidCount: () => records.filter((r) => r.outcome === 'paid').length,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Polls every app's /health/ready until all answer 200; resolves with the time it happened (or throws). */
export async function allReady(stack: Stack, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      stack.apps.map((app) =>
        fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
          (response) => response.ok,
          () => false,
        ),
      ),
    );
    if (states.every(Boolean)) return Date.now();
    if (Date.now() > deadline) throw new Error(`not all ready within ${timeoutMs} ms: ${JSON.stringify(states)}`);
    // Not faster: readiness checks cost the recovering system work too.
    await sleep(200);
  }
}

/** Samples the readiness of the given apps every 200 ms until stopped. */
export function watchReadiness(urls: string[]) {
  const samples: { at: number; url: string; ready: boolean }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        urls.map(async (url) => {
          const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
            (response) => response.ok,
            () => false,
          );
          samples.push({ at: Date.now(), url, ready });
        }),
      );
      await sleep(200);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Answers that are not allowed at any time: a 500 (or any 5xx but 503), or no answer at all. */
export const forbidden = (answers: Answer[]) =>
  answers.filter((a) => a.status === 'dropped' || (a.status >= 500 && a.status !== 503));

/** Answers to requests started within [from, to]. */
export const between = (answers: Answer[], from: number, to: number) =>
  answers.filter((a) => a.startedAt >= from && a.startedAt <= to);

/** A short summary of answers: count per status, slowest. */
export function summary(answers: Answer[]) {
  const byStatus: Record<string, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const slowest = answers.reduce((max, a) => Math.max(max, a.ms), 0);
  return `${answers.length} answers ${JSON.stringify(byStatus)}, slowest ${slowest} ms`;
}

/** Keyed writes that took effect more than once: users with two CHARGE rows or two payments (each fan makes one of each). */
export async function doubleEffects(db: Db) {
  const charges = await db.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM point_transaction WHERE type = 'CHARGE' GROUP BY user_id HAVING count(*) > 1`;
  const payments = await db.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM payment GROUP BY user_id HAVING count(*) > 1`;
  return { charges, payments };
}

/** Checks that every payment a fan was told about is the one (and only one) recorded. */
export async function unrecordedPayments(db: Db, records: FanRecord[]) {
  const told = records.filter((r) => r.paid);
  const stored = await db.payment.findMany({
    where: { userId: { in: told.map((r) => r.userId) } },
    select: { id: true, userId: true },
  });
  const byUser = new Map(stored.map((p) => [p.userId, p.id]));
  return told.filter((r) => byUser.get(r.userId) !== r.paid!.paymentId).map((r) => r.userId);
}
