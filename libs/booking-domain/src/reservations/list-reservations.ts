import { rows, type Sql } from '@concert/db';
import { RECORDS_PAGE_SIZE } from '../payments/list-payments.js';
import {
  RESERVATION_COLUMNS,
  toReservationView,
  type ReservationRow,
  type ReservationStatus,
  type ReservationView,
} from './reservation-view.js';

/** The SQL condition of each status as clients see it (a hold whose time is over reads EXPIRED). */
const STATUS_CONDITION: Record<ReservationStatus, string> = {
  HELD: `r.status = 'HELD' AND r.expires_at > now()`,
  EXPIRED: `(r.status = 'EXPIRED' OR (r.status = 'HELD' AND r.expires_at <= now()))`,
  CONFIRMED: `r.status = 'CONFIRMED'`,
  CANCELLED: `r.status = 'CANCELLED'`,
  REFUNDED: `r.status = 'REFUNDED'`,
};

/** The user's reservations, newest first (the latest RECORDS_PAGE_SIZE), of one status if given. */
export async function listReservations(opts: {
  sql: Sql;
  userId: string;
  status?: ReservationStatus;
}): Promise<ReservationView[]> {
  const { sql, userId, status } = opts;
  const found = await rows<ReservationRow>(
    sql,
    `SELECT ${RESERVATION_COLUMNS} FROM reservation r
      WHERE r.user_id = $1${status ? ` AND ${STATUS_CONDITION[status]}` : ''}
      ORDER BY r.created_at DESC, r.id DESC
      LIMIT $2`,
    [userId, RECORDS_PAGE_SIZE],
  );
  return found.map(toReservationView);
}
