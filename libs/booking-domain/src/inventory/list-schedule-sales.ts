import { isUuid, type ScheduleSales } from '@concert/contract';
import { rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';

type Row = {
  schedule_id: string | null;
  starts_at: Date | null;
  total_seats: number;
  sold_seats: number;
  held_seats: number;
};

/**
 * For operators: each future date of a concert by start, with its seats sold, held and left. A
 * lapsed hold counts as left, as fans see it, though the worker has not released it yet. One
 * query: the concert joined to its future dates and their seats, so a concert with no future date
 * still answers (an empty list) and an unknown one is 404.
 */
export async function listScheduleSales({ sql, concertId }: { sql: Sql; concertId: string }): Promise<ScheduleSales[]> {
  if (!isUuid(concertId)) throw new BookingErrors.CONCERT_NOT_FOUND(concertId);
  const found = await rows<Row>(
    sql,
    `SELECT sc.id AS schedule_id, sc.starts_at,
            count(s.id)::int AS total_seats,
            (count(s.id) FILTER (WHERE s.status = 'SOLD'))::int AS sold_seats,
            (count(s.id) FILTER (WHERE s.status = 'HELD' AND s.hold_expires_at > now()))::int AS held_seats
       FROM concert c
       LEFT JOIN schedule sc ON sc.concert_id = c.id AND sc.starts_at > now()
       LEFT JOIN seat s ON s.schedule_id = sc.id
      WHERE c.id = $1
      GROUP BY c.id, sc.id
      ORDER BY sc.starts_at, sc.id`,
    [concertId],
  );
  if (found.length === 0) throw new BookingErrors.CONCERT_NOT_FOUND(concertId);
  return found
    .filter((row) => row.schedule_id !== null)
    .map((row) => ({
      scheduleId: row.schedule_id!,
      startsAt: row.starts_at!.toISOString(),
      totalSeats: row.total_seats,
      soldSeats: row.sold_seats,
      heldSeats: row.held_seats,
      availableSeats: row.total_seats - row.sold_seats - row.held_seats,
    }));
}
