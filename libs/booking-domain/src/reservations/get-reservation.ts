import { rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';
import {
  RESERVATION_COLUMNS,
  toReservationView,
  type ReservationRow,
  type ReservationView,
} from './reservation-view.js';

/** One of the user's reservations; someone else's is "not found", never "forbidden". */
export async function getReservation({
  sql,
  userId,
  reservationId,
}: {
  sql: Sql;
  userId: string;
  reservationId: string;
}): Promise<ReservationView> {
  const [row] = await rows<ReservationRow>(
    sql,
    `SELECT ${RESERVATION_COLUMNS} FROM reservation r WHERE r.id = $1 AND r.user_id = $2`,
    [reservationId, userId],
  );
  if (!row) throw new BookingErrors.RESERVATION_NOT_FOUND(reservationId);
  return toReservationView(row);
}
