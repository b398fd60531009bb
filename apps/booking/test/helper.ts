import type { Test } from 'tap';
import { createServer } from '@concert/http';
import { createTokenIssuer, setupTestContext } from '@concert/testing';
import { seedDemoData, type Db } from '@concert/db';
import booking from '../src/app.js';

/**
 * Booking on this file's own database and Redis prefix, the demo concert seeded and its queue
 * configured, and a token issuer that signs and queues exactly as the gateway does.
 */
export async function buildStack(t: Test, env: Record<string, string | number> = {}, queue = { maxActive: 1000 }) {
  const context = await setupTestContext(t, { database: true, env });
  const db = context.db as Db;
  const bookingApp = createServer(context.config, 'booking', {
    logger: process.env.TEST_LOG ? { level: 'error' } : false,
  });
  await bookingApp.register(booking, { config: context.config });
  await bookingApp.ready();
  t.teardown(() => bookingApp.close());
  const issuer = await createTokenIssuer(t, context.config);

  const { concert } = await seedDemoData(db);
  const schedules = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
  await configureQueue(concert.queueId, queue);

  async function configureQueue(
    queueId: string,
    settings: { maxActive?: number; activeTtlSeconds?: number; paused?: boolean },
  ) {
    await issuer.waitingRoom.configure(queueId, settings);
  }

  /** A fan who joined `queueId` (the demo concert's by default): token and auth header. */
  const fan = (userId: string, queueId = concert.queueId) => issuer.join(queueId, userId);

  return { ...context, db, app: bookingApp, waitingRoom: issuer.waitingRoom, concert, schedules, fan, configureQueue };
}

export type Stack = Awaited<ReturnType<typeof buildStack>>;

/** SQL check of invariants 1–3 over the whole database. Returns the violations found. */
export async function invariantViolations(db: Db) {
  const balances = await db.$queryRaw<{ user_id: string }[]>`
    SELECT b.user_id FROM point_balance b
      LEFT JOIN (SELECT user_id,
                        sum(CASE WHEN type = 'CHARGE' THEN amount ELSE -amount END) AS net
                   FROM point_transaction GROUP BY user_id) l ON l.user_id = b.user_id
     WHERE b.balance <> coalesce(l.net, 0) OR b.balance < 0`;
  const doubleHeld = await db.$queryRaw<{ seat_id: string }[]>`
    SELECT seat_id FROM reservation WHERE status = 'HELD' AND expires_at > now() GROUP BY seat_id HAVING count(*) > 1`;
  const doubleSold = await db.$queryRaw<{ seat_id: string }[]>`
    SELECT seat_id FROM reservation WHERE status = 'CONFIRMED' GROUP BY seat_id HAVING count(*) > 1`;
  const soldWithoutPayment = await db.$queryRaw<{ id: string }[]>`
    SELECT s.id FROM seat s LEFT JOIN reservation r ON r.id = s.reservation_id
     WHERE s.status = 'SOLD' AND (r.status IS DISTINCT FROM 'CONFIRMED' OR r.payment_id IS NULL)`;
  const paymentMismatch = await db.$queryRaw<{ id: string }[]>`
    SELECT p.id FROM payment p
      LEFT JOIN (SELECT payment_id, sum(price) AS total FROM reservation GROUP BY payment_id) r ON r.payment_id = p.id
      LEFT JOIN (SELECT payment_id, count(*) AS uses, sum(amount) AS used FROM point_transaction WHERE type = 'USE' GROUP BY payment_id) u ON u.payment_id = p.id
     WHERE r.total IS DISTINCT FROM p.amount OR u.uses IS DISTINCT FROM 1 OR u.used IS DISTINCT FROM p.amount`;
  return { balances, doubleHeld, doubleSold, soldWithoutPayment, paymentMismatch };
}
