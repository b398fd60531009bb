export type ReservationStatus = 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';

/** A reservation as clients see it. */
export type ReservationView = {
  reservationId: string;
  concertId: string;
  scheduleId: string;
  seatNo: number;
  price: number;
  status: ReservationStatus;
  expiresAt: Date;
};

/** The stored row as SQL returns it; `live` is `expires_at > now()` computed by PostgreSQL. */
export type ReservationRow = {
  id: string;
  concert_id: string;
  schedule_id: string;
  seat_no: number;
  price: number;
  status: ReservationStatus;
  expires_at: Date;
  live: boolean;
};

/** SQL select list producing a ReservationRow from table alias `r`. */
export const RESERVATION_COLUMNS = `r.id, r.concert_id, r.schedule_id, r.seat_no, r.price, r.status::text AS status, r.expires_at, (r.expires_at > now()) AS live`;

/** A hold whose time is over reads EXPIRED at once, before the worker's sweep records it. */
export function toReservationView(row: ReservationRow): ReservationView {
  return {
    reservationId: row.id,
    concertId: row.concert_id,
    scheduleId: row.schedule_id,
    seatNo: row.seat_no,
    price: row.price,
    status: row.status === 'HELD' && !row.live ? 'EXPIRED' : row.status,
    expiresAt: row.expires_at,
  };
}
