import { Prisma, type Db } from '@concert/db';
import { BookingErrors } from '../errors.js';
import {
  RESERVATION_COLUMNS,
  toReservationView,
  type ReservationRow,
  type ReservationView,
} from './reservation-view.js';

/** One of the user's reservations; someone else's is "not found", never "forbidden". */
export async function getReservation({
  db,
  userId,
  reservationId,
}: {
  db: Db;
  userId: string;
  reservationId: string;
}): Promise<ReservationView> {
  const [row] = await db.$queryRaw<ReservationRow[]>`
    SELECT ${Prisma.raw(RESERVATION_COLUMNS)} FROM reservation r
     WHERE r.id = ${reservationId}::uuid AND r.user_id = ${userId}`;
  if (!row) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
  return toReservationView(row);
}
