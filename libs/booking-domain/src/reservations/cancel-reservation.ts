import { isUuid } from '@concert/contract';
import { inTransaction, rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { EFFECTS_JSON, effectsOf, type Effect } from '../effects/effects.js';
import { INVENTORY_LOCK } from '../inventory/reconcile-seats-left.js';
import { findOwnReservations } from './find-own-reservations.js';

/**
 * Gives up a live hold: the reservation is CANCELLED and the seat free again, in one transaction
 * (under the queue's inventory lock, shared), which records the seats-left change in the outbox.
 * Returns that effect, to apply after the commit.
 */
export async function cancelReservation(opts: {
  sql: Sql;
  userId: string;
  reservationId: string;
}): Promise<{ effects: Effect[] }> {
  const { sql, userId, reservationId } = opts;
  if (!isUuid(reservationId)) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
  return inTransaction(sql, async (tx) => {
    const [queue] = await rows<{ queue_id: string }>(
      tx,
      `SELECT c.queue_id, pg_advisory_xact_lock_shared($3::int, hashtext(c.queue_id))
         FROM reservation r JOIN concert c ON c.id = r.concert_id
        WHERE r.id = $1 AND r.user_id = $2`,
      [reservationId, userId, INVENTORY_LOCK],
    );
    if (!queue) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
    const [current] = await findOwnReservations(tx, userId, [reservationId], { lock: true });
    if (current?.status !== 'HELD') throw new BookingErrors.RESERVATION_NOT_HELD(reservationId);
    const [written] = await rows<{ effects: unknown }>(
      tx,
      `WITH cancelled AS (
         UPDATE reservation SET status = 'CANCELLED', updated_at = now() WHERE id = $1
       ), freed AS (
         UPDATE seat s SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
           FROM schedule sc
          WHERE s.reservation_id = $1 AND s.status = 'HELD' AND sc.id = s.schedule_id
         RETURNING sc.starts_at > now() AS future
       ), new_effects AS (
         INSERT INTO outbox_effect (queue_id, payload)
         SELECT $2, jsonb_build_object('seats', jsonb_build_object('left', 1, 'held', -1)) FROM freed WHERE future
         RETURNING id, queue_id, payload
       )
       SELECT (SELECT ${EFFECTS_JSON} FROM new_effects fx) AS effects`,
      [reservationId, queue.queue_id],
    );
    return { effects: effectsOf(written?.effects) };
  });
}
