import type { Test } from 'tap';
import { createServer } from '@concert/http';
import { createBookingClient } from '@concert/contract';
import { createTokenIssuer, setupTestContext } from '@concert/testing';
import { seedDemoData, type Db, type Sql } from '@concert/db';
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
    configureQueue: issuer.configure,
  };
}

export type Stack = Awaited<ReturnType<typeof buildStack>>;

export { invariantViolations } from '@concert/testing';
