import { inTransaction, rows, type Sql } from '@concert/db';
import type { SeatCounts } from '../effects/effects.js';

/** Namespace of a queue's inventory lock (see the booking_v2 migration: shared by every change). */
export const INVENTORY_LOCK = 2;

/** The queues whose concerts have seats: the ones whose seats-left figures booking keeps. */
export async function listInventoryQueues({ sql }: { sql: Sql }): Promise<string[]> {
  return (await rows<{ queue_id: string }>(sql, 'SELECT DISTINCT queue_id FROM concert ORDER BY queue_id')).map(
    (row) => row.queue_id,
  );
}

/**
 * Counts a queue's seats from PostgreSQL and hands the figures to `write` (Redis) together with the
 * ids of the seat effects still in the outbox, which the count already includes (so they must never
 * be added on top). It runs under the queue's inventory lock taken exclusively: every transaction
 * that changes a seat of the queue holds it shared until it commits, so no change commits between
 * the count and the write, and every change committed before is in the count. `left` counts the
 * seats of future dates that are AVAILABLE, `held` those HELD (a lapsed hold is held until the
 * worker releases it): exactly what the recorded deltas track.
 */
export async function reconcileSeatsLeft(opts: {
  sql: Sql;
  queueId: string;
  write: (counts: SeatCounts, countedEffectIds: string[]) => Promise<unknown>;
}): Promise<SeatCounts> {
  const { sql, queueId, write } = opts;
  return inTransaction(sql, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [INVENTORY_LOCK, queueId]);
    const [counts] = await rows<SeatCounts>(
      tx,
      `SELECT (count(*) FILTER (WHERE s.status = 'AVAILABLE'))::int AS "left",
              (count(*) FILTER (WHERE s.status = 'HELD'))::int AS held
         FROM concert c
         JOIN schedule sc ON sc.concert_id = c.id AND sc.starts_at > now()
         JOIN seat s ON s.schedule_id = sc.id
        WHERE c.queue_id = $1`,
      [queueId],
    );
    const pending = await rows<{ id: string }>(
      tx,
      `SELECT id::text FROM outbox_effect WHERE queue_id = $1 AND payload ? 'seats'`,
      [queueId],
    );
    await write(
      counts!,
      pending.map((row) => row.id),
    );
    return counts!;
  });
}
