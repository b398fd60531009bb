import type { Test } from 'tap';
import { createServer } from '@concert/http';
import { ApiError, createBookingClient, type ApiResponse } from '@concert/contract';
import { createTokenIssuer, setupTestContext } from '@concert/testing';
import { rows, seedDemoData, type Db, type Sql } from '@concert/db';
import { reconcileSeatsLeft } from '@concert/booking-domain';
import type { QueueSettingsChange } from '@concert/contract';
import booking from '../src/app.js';

/**
 * Booking on this file's own database and Redis prefix, the demo concert seeded and its queue
 * configured, and a token issuer that signs and queues exactly as the gateway does.
 */
export async function buildStack(
  t: Test,
  env: Record<string, string | number> = {},
  queue: QueueSettingsChange = { maxActive: 1000 },
) {
  const context = await setupTestContext(t, { database: true, env });
  const db = context.db as Db;
  const sql = context.sql as Sql;
  const bookingApp = createServer(context.config, 'booking', {
    logger: process.env.TEST_LOG ? { level: 'error' } : false,
  });
  await bookingApp.register(booking, { config: context.config });
  await bookingApp.ready();
  t.teardown(() => bookingApp.close());
  const issuer = await createTokenIssuer(t, context.config, { sql });

  const { concert } = await seedDemoData(db);
  const schedules = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
  await issuer.configure(concert.queueId, queue);

  /** A fan who joined `queueId` (the demo concert's by default): token and auth header. */
  const fan = (userId: string, queueId = concert.queueId) => issuer.join(queueId, userId);
  /** Headers of `userId` signed in with an identity token (no queue token). */
  const signedIn = async (userId: string) => ({ authorization: `Bearer ${await context.identityToken(userId)}` });
  /** The same app over HTTP, through the typed client. */
  const client = async () => createBookingClient(await bookingApp.listen({ port: 0, host: '127.0.0.1' }));
  /** The demo queue's seats-left figures as PostgreSQL counts them (future dates; AVAILABLE, HELD). */
  const countedSeats = async (queueId = concert.queueId) => {
    const [counts] = await rows<{ left: number; held: number }>(
      sql,
      `SELECT (count(*) FILTER (WHERE s.status = 'AVAILABLE'))::int AS "left",
              (count(*) FILTER (WHERE s.status = 'HELD'))::int AS held
         FROM seat s JOIN schedule sc ON sc.id = s.schedule_id AND sc.starts_at > now()
         JOIN concert c ON c.id = sc.concert_id
        WHERE c.queue_id = $1`,
      [queueId],
    );
    return counts!;
  };
  /** The figures booking keeps in Redis for the waiting room (null: unknown). */
  const seatsLeft = (queueId = concert.queueId) => bookingApp.seatsLeft.read(queueId);
  /** Sets the figures from PostgreSQL, as the worker's reconciliation does. */
  const reconcileSeats = (queueId = concert.queueId) =>
    reconcileSeatsLeft({
      sql,
      queueId,
      write: (counts, ids) => bookingApp.seatsLeft.reconcile(queueId, counts, ids),
    });

  return {
    ...context,
    db,
    sql,
    app: bookingApp,
    waitingRoom: issuer.waitingRoom,
    concert,
    schedules,
    fan,
    signedIn,
    client,
    countedSeats,
    seatsLeft,
    reconcileSeats,
    configureQueue: issuer.configure,
  };
}

export type Stack = Awaited<ReturnType<typeof buildStack>>;

export { invariantViolations } from '@concert/testing';

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}

/** Resolves once some session of the test's database waits on a lock (a request parked mid-way). */
export async function someoneWaitsOnALock(sql: Sql, timeoutMs = 5000) {
  return eventually(async () => {
    const [row] = await rows<{ waiting: number }>(
      sql,
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return row!.waiting > 0;
  }, timeoutMs);
}

/** What one call of the typed client answered, error or not: status, error code, replay or not. */
export async function answerOf<T>(call: Promise<ApiResponse<T>>) {
  try {
    const { status, data, headers } = await call;
    return { status, code: undefined, replayed: headers.get('idempotent-replayed') === 'true', data, error: undefined };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.status, code: error.code, replayed: false, data: undefined, error: error.body };
  }
}
export type Answer<T = unknown> = Awaited<ReturnType<typeof answerOf<T>>>;
