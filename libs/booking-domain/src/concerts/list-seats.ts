import type { Db } from '@concert/db';
import { BookingErrors } from '../errors.js';

type Row = { seat_no: number; price: number; status: 'AVAILABLE' | 'HELD' | 'SOLD' };

/** The seats of one date by number; a hold past its expiry reads AVAILABLE at once. */
export async function listSeats({ db, concertId, scheduleId }: { db: Db; concertId: string; scheduleId: string }) {
  const schedule = await db.schedule.findFirst({ where: { id: scheduleId, concertId }, select: { id: true } });
  if (!schedule) throw new BookingErrors.SCHEDULE_NOT_FOUND(scheduleId);
  const rows = await db.$queryRaw<Row[]>`
    SELECT seat_no, price,
           (CASE WHEN status = 'HELD' AND hold_expires_at <= now() THEN 'AVAILABLE' ELSE status::text END) AS status
      FROM seat
     WHERE schedule_id = ${scheduleId}::uuid
     ORDER BY seat_no`;
  return rows.map((row) => ({ seatNo: row.seat_no, price: row.price, status: row.status }));
}
