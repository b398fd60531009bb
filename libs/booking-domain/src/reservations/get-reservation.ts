import type { Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { findOwnReservations } from './find-own-reservations.js';
import type { ReservationView } from './reservation-view.js';

/** One of the user's reservations; someone else's is "not found", never "forbidden". */
export async function getReservation(opts: {
  sql: Sql;
  userId: string;
  reservationId: string;
}): Promise<ReservationView> {
  const [reservation] = await findOwnReservations(opts.sql, opts.userId, [opts.reservationId]);
  if (!reservation) throw new BookingErrors.RESERVATION_NOT_FOUND(opts.reservationId);
  return reservation;
}
