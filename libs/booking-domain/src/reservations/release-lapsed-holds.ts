import { inTransaction, rows, type Sql } from '@concert/db';
import { EFFECTS_JSON, effectsOf, type Effect } from '../effects/effects.js';
import { INVENTORY_LOCK } from '../inventory/reconcile-seats-left.js';

type Row = { released: number; seats_freed: number; effects: unknown };

/**
 * Records lapsed holds as EXPIRED and frees their seats, at most `batch` per call, recording each
 * queue's seats-left change in the outbox (returned, to apply after the commit). Rows another
 * worker (or a payment) has locked are skipped, so two workers never release the same hold, and a
 * crash mid-way loses nothing: the next call picks up what is left. A seat already re-held by
 * someone else keeps its new hold. The queues concerned are locked (inventory, shared) first.
 */
export async function releaseLapsedHolds({
  sql,
  batch = 1000,
}: {
  sql: Sql;
  batch?: number;
}): Promise<{ released: number; seatsFreed: number; effects: Effect[] }> {
  return inTransaction(sql, async (tx) => {
    const queues = await rows<{ queue_id: string }>(
      tx,
      `SELECT q.queue_id, pg_advisory_xact_lock_shared($1::int, hashtext(q.queue_id))
         FROM (SELECT DISTINCT c.queue_id FROM reservation r JOIN concert c ON c.id = r.concert_id
                WHERE r.status = 'HELD' AND r.expires_at <= now()) q`,
      [INVENTORY_LOCK],
    );
    if (!queues.length) return { released: 0, seatsFreed: 0, effects: [] };
    const [row] = await rows<Row>(
      tx,
      `WITH lapsed AS (
         SELECT r.id FROM reservation r
          WHERE r.status = 'HELD' AND r.expires_at <= now()
            AND r.concert_id IN (SELECT id FROM concert WHERE queue_id = ANY ($2::text[]))
          ORDER BY r.expires_at
          LIMIT $1
            FOR UPDATE OF r SKIP LOCKED
       ), expired AS (
         UPDATE reservation r SET status = 'EXPIRED', updated_at = now()
           FROM lapsed WHERE r.id = lapsed.id
         RETURNING r.id, r.seat_id
       ), freed AS (
         UPDATE seat s SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
           FROM expired WHERE s.id = expired.seat_id AND s.reservation_id = expired.id AND s.status = 'HELD'
         RETURNING s.schedule_id
       ), new_effects AS (
         INSERT INTO outbox_effect (queue_id, payload)
         SELECT c.queue_id, jsonb_build_object('seats', jsonb_build_object('left', count(*), 'held', -count(*)))
           FROM freed JOIN schedule sc ON sc.id = freed.schedule_id AND sc.starts_at > now()
           JOIN concert c ON c.id = sc.concert_id
          GROUP BY c.queue_id
         RETURNING id, queue_id, payload
       )
       SELECT (SELECT count(*) FROM expired)::int AS released, (SELECT count(*) FROM freed)::int AS seats_freed,
              (SELECT ${EFFECTS_JSON} FROM new_effects fx) AS effects`,
      [batch, queues.map((queue) => queue.queue_id)],
    );
    return { released: row?.released ?? 0, seatsFreed: row?.seats_freed ?? 0, effects: effectsOf(row?.effects) };
  });
}
