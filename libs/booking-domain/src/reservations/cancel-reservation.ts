import type { Db } from '@concert/db';
import { BookingErrors } from '../errors.js';

type Row = { id: string; status: string; live: boolean };

/** Gives up a live hold: the reservation is CANCELLED and the seat free again, in one transaction. */
export async function cancelReservation({
  db,
  userId,
  reservationId,
}: {
  db: Db;
  userId: string;
  reservationId: string;
}) {
  await db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<Row[]>`
      SELECT id, status::text AS status, (expires_at > now()) AS live FROM reservation
       WHERE id = ${reservationId}::uuid AND user_id = ${userId}
       FOR UPDATE`;
    if (!current) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
    if (current.status !== 'HELD' || !current.live) throw new BookingErrors.RESERVATION_NOT_HELD(reservationId);
    await tx.$executeRaw`
      UPDATE reservation SET status = 'CANCELLED', updated_at = now() WHERE id = ${reservationId}::uuid`;
    await tx.$executeRaw`
      UPDATE seat SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
       WHERE reservation_id = ${reservationId}::uuid AND status = 'HELD'`;
  });
}
