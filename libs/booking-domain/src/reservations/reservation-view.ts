import type { ReservationRecord, ReservationStatus } from '@concert/contract';

/** A reservation as a fan's records show it (the contract's ReservationRecord). */
export type ReservationView = ReservationRecord;
export type { ReservationStatus };

/** The stored row as SQL returns it; `live` is `expires_at > now()` computed by PostgreSQL. */
export type ReservationRow = {
  id: string;
  concert_id: string;
  schedule_id: string;
  seat_no: number;
  price: number;
  status: ReservationStatus;
  expires_at: Date;
  payment_id: string | null;
  live: boolean;
  starts_at: Date;
};

/**
 * SQL select list producing a ReservationRow from table alias `r`. The date's start is a scalar
 * subquery, not a join, so that callers locking the rows (`FOR UPDATE`) lock reservations only.
 */
export const RESERVATION_COLUMNS = `r.id, r.concert_id, r.schedule_id, r.seat_no, r.price, r.status::text AS status, r.expires_at, r.payment_id, (r.expires_at > now()) AS live,
  (SELECT sc.starts_at FROM schedule sc WHERE sc.id = r.schedule_id) AS starts_at`;

/** A hold whose time is over reads EXPIRED at once, before the worker's sweep records it. */
export function toReservationView(row: ReservationRow): ReservationView {
  return {
    reservationId: row.id,
    concertId: row.concert_id,
    scheduleId: row.schedule_id,
    seatNo: row.seat_no,
    price: row.price,
    status: row.status === 'HELD' && !row.live ? 'EXPIRED' : row.status,
    expiresAt: row.expires_at.toISOString(),
    paymentId: row.payment_id,
    startsAt: row.starts_at.toISOString(),
  };
}
