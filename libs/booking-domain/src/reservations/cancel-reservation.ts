import { inTransaction, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { findOwnReservations } from './find-own-reservations.js';

/** Gives up a live hold: the reservation is CANCELLED and the seat free again, in one transaction. */
export async function cancelReservation(opts: { sql: Sql; userId: string; reservationId: string }) {
  const { sql, userId, reservationId } = opts;
  await inTransaction(sql, async (tx) => {
    const [current] = await findOwnReservations(tx, userId, [reservationId], { lock: true });
    if (!current) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
    if (current.status !== 'HELD') throw new BookingErrors.RESERVATION_NOT_HELD(reservationId);
    await tx.query(
      `WITH cancelled AS (UPDATE reservation SET status = 'CANCELLED', updated_at = now() WHERE id = $1)
       UPDATE seat SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
        WHERE reservation_id = $1 AND status = 'HELD'`,
      [reservationId],
    );
  });
}
