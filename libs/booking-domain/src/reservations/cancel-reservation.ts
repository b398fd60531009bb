import { inTransaction, rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';

type Row = { status: string; live: boolean };

/** Gives up a live hold: the reservation is CANCELLED and the seat free again, in one transaction. */
export async function cancelReservation({
  sql,
  userId,
  reservationId,
}: {
  sql: Sql;
  userId: string;
  reservationId: string;
}) {
  await inTransaction(sql, async (tx) => {
    const [current] = await rows<Row>(
      tx,
      `SELECT status::text AS status, (expires_at > now()) AS live FROM reservation
        WHERE id = $1 AND user_id = $2 FOR UPDATE`,
      [reservationId, userId],
    );
    if (!current) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
    if (current.status !== 'HELD' || !current.live) throw new BookingErrors.RESERVATION_NOT_HELD(reservationId);
    await tx.query(
      `WITH cancelled AS (UPDATE reservation SET status = 'CANCELLED', updated_at = now() WHERE id = $1)
       UPDATE seat SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
        WHERE reservation_id = $1 AND status = 'HELD'`,
      [reservationId],
    );
  });
}
