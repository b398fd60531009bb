import { isUuid } from '@concert/contract';
import { rows, type SqlExecutor } from '@concert/db';
import {
  RESERVATION_COLUMNS,
  toReservationView,
  type ReservationRow,
  type ReservationView,
} from './reservation-view.js';

/**
 * The user's reservations among `ids`, as clients see them (a lapsed hold reads EXPIRED). Another
 * user's reservation is simply absent. With `lock`, the rows are locked for the caller's
 * transaction in id order, so transactions locking overlapping sets never deadlock.
 */
export async function findOwnReservations(
  on: SqlExecutor,
  userId: string,
  ids: string[],
  opts: { lock?: boolean } = {},
): Promise<ReservationView[]> {
  // An id of another shape names nothing (and must not reach the uuid cast).
  const uuids = ids.filter(isUuid);
  if (!uuids.length) return [];
  const found = await rows<ReservationRow>(
    on,
    `SELECT ${RESERVATION_COLUMNS} FROM reservation r
      WHERE r.id = ANY($1::uuid[]) AND r.user_id = $2
      ORDER BY r.id${opts.lock ? ' FOR UPDATE' : ''}`,
    [uuids, userId],
  );
  return found.map(toReservationView);
}
