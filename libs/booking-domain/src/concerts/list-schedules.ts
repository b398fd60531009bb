import { rows, type Sql } from '@concert/db';
import type { Schedule } from '@concert/contract';

type Row = { id: string; starts_at: Date; total_seats: number; available_seats: number };

/** A concert's future dates by start, with seat counts (a lapsed hold counts as available). */
export async function listSchedules({ sql, concertId }: { sql: Sql; concertId: string }): Promise<Schedule[]> {
  const found = await rows<Row>(
    sql,
    `SELECT sc.id, sc.starts_at,
            count(s.id)::int AS total_seats,
            (count(s.id) FILTER (WHERE s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.hold_expires_at <= now())))::int AS available_seats
       FROM schedule sc
       LEFT JOIN seat s ON s.schedule_id = sc.id
      WHERE sc.concert_id = $1 AND sc.starts_at > now()
      GROUP BY sc.id
      ORDER BY sc.starts_at, sc.id`,
    [concertId],
  );
  return found.map((row) => ({
    id: row.id,
    startsAt: row.starts_at.toISOString(),
    totalSeats: row.total_seats,
    availableSeats: row.available_seats,
  }));
}
