import { rows, type Sql } from '@concert/db';

type Row = { released: number; seats_freed: number };

/**
 * Records lapsed holds as EXPIRED and frees their seats, at most `batch` per call. Rows another
 * worker (or a payment) has locked are skipped, so two workers never release the same hold, and a
 * crash mid-way loses nothing: the next call picks up what is left. A seat already re-held by
 * someone else keeps its new hold.
 */
export async function releaseLapsedHolds({
  sql,
  batch = 1000,
}: {
  sql: Sql;
  batch?: number;
}): Promise<{ released: number; seatsFreed: number }> {
  const [row] = await rows<Row>(
    sql,
    `WITH lapsed AS (
       SELECT id FROM reservation
        WHERE status = 'HELD' AND expires_at <= now()
        ORDER BY expires_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
     ), expired AS (
       UPDATE reservation r SET status = 'EXPIRED', updated_at = now()
         FROM lapsed WHERE r.id = lapsed.id
       RETURNING r.id, r.seat_id
     ), freed AS (
       UPDATE seat s SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
         FROM expired WHERE s.id = expired.seat_id AND s.reservation_id = expired.id AND s.status = 'HELD'
       RETURNING s.id
     )
     SELECT (SELECT count(*) FROM expired)::int AS released, (SELECT count(*) FROM freed)::int AS seats_freed`,
    [batch],
  );
  return { released: row?.released ?? 0, seatsFreed: row?.seats_freed ?? 0 };
}
