import { isUuid, type Seat } from '@concert/contract';
import { rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';

type Row = { seat_no: number | null; price: number | null; status: 'AVAILABLE' | 'HELD' | 'SOLD' | null };

/** The seats of one date by number; a hold past its expiry reads AVAILABLE at once. */
export async function listSeats(opts: { sql: Sql; concertId: string; scheduleId: string }): Promise<Seat[]> {
  const { sql, concertId, scheduleId } = opts;
  if (!isUuid(scheduleId)) throw new BookingErrors.SCHEDULE_NOT_FOUND(scheduleId);
  // One round trip: the schedule (it must belong to the concert) joined to its seats.
  const found = await rows<Row>(
    sql,
    `SELECT s.seat_no, s.price,
            (CASE WHEN s.status = 'HELD' AND s.hold_expires_at <= now() THEN 'AVAILABLE' ELSE s.status::text END) AS status
       FROM schedule sc
       LEFT JOIN seat s ON s.schedule_id = sc.id
      WHERE sc.id = $1 AND sc.concert_id = $2
      ORDER BY s.seat_no`,
    [scheduleId, concertId],
  );
  if (found.length === 0) throw new BookingErrors.SCHEDULE_NOT_FOUND(scheduleId);
  return found
    .filter((row) => row.seat_no !== null)
    .map((row) => ({ seatNo: row.seat_no!, price: row.price!, status: row.status! }));
}
