import { randomUUID } from 'node:crypto';
import { isUuid } from '@concert/contract';
import { inTransaction, rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';
import type { ReservationView } from './reservation-view.js';

// Namespace of the per-user advisory lock (two-key form keeps it apart from other locks).
const USER_HOLDS_LOCK = 1;

type Taken = { id: string; price: number; expires_at: Date };
type Diagnosis = {
  seat_status: string | null;
  seat_live_hold: boolean | null;
  schedule_bookable: boolean;
  live_holds: number;
};

/**
 * Holds a seat for `holdSeconds`. The seat is taken by one conditional UPDATE (AVAILABLE, or HELD
 * with its hold over), so among any number of concurrent requests exactly one wins. A per-user
 * advisory lock makes "at most `maxHolds` live holds" exact under a user's own concurrency;
 * nothing is held across anything but this short transaction.
 */
export async function holdSeat(opts: {
  sql: Sql;
  userId: string;
  concertId: string;
  scheduleId: string;
  seatNo: number;
  holdSeconds: number;
  maxHolds: number;
}): Promise<ReservationView> {
  const { sql, userId, concertId, scheduleId, seatNo, holdSeconds, maxHolds } = opts;
  if (!isUuid(scheduleId)) throw new BookingErrors.SCHEDULE_NOT_FOUND(scheduleId);

  // Fast path for the losers of a rush: a seat visibly held or sold is refused with one read and
  // no transaction. Only a seat that looks free goes on to the conditional write that decides.
  const [seen] = await rows<{ taken: boolean }>(
    sql,
    `SELECT (status = 'SOLD' OR (status = 'HELD' AND hold_expires_at > now())) AS taken
       FROM seat WHERE schedule_id = $1 AND seat_no = $2`,
    [scheduleId, seatNo],
  );
  if (seen?.taken) throw new BookingErrors.SEAT_UNAVAILABLE(seatNo);

  const reservationId = randomUUID();
  const [row] = await inTransaction(sql, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [USER_HOLDS_LOCK, userId]);
    return rows<Taken>(
      tx,
      `WITH live_holds AS (
         SELECT count(*) AS n FROM reservation
          WHERE user_id = $2 AND status = 'HELD' AND expires_at > now()
       ), taken AS (
         UPDATE seat s
            SET status = 'HELD', reservation_id = $1, hold_expires_at = now() + make_interval(secs => $6::int)
           FROM schedule sc
          WHERE s.schedule_id = $4 AND s.seat_no = $5
            AND sc.id = s.schedule_id AND sc.concert_id = $3 AND sc.starts_at > now()
            AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.hold_expires_at <= now()))
            AND (SELECT n FROM live_holds) < $7
         RETURNING s.id, s.price, s.hold_expires_at
       )
       INSERT INTO reservation (id, user_id, concert_id, schedule_id, seat_id, seat_no, price, status, expires_at)
       SELECT $1, $2, $3, $4, taken.id, $5, taken.price, 'HELD', taken.hold_expires_at FROM taken
       RETURNING id, price, expires_at`,
      [reservationId, userId, concertId, scheduleId, seatNo, holdSeconds, maxHolds],
    );
  });
  if (row) {
    return {
      reservationId: row.id,
      concertId,
      scheduleId,
      seatNo,
      price: row.price,
      status: 'HELD',
      expiresAt: row.expires_at.toISOString(),
      paymentId: null,
    };
  }

  // Lost: say why (a read after the fact; only the failure path pays for it).
  const [why] = await rows<Diagnosis>(
    sql,
    `SELECT s.status::text AS seat_status,
            (s.status = 'HELD' AND s.hold_expires_at > now()) AS seat_live_hold,
            EXISTS (SELECT 1 FROM schedule WHERE id = $1 AND concert_id = $2 AND starts_at > now()) AS schedule_bookable,
            (SELECT count(*)::int FROM reservation WHERE user_id = $4 AND status = 'HELD' AND expires_at > now()) AS live_holds
       FROM (SELECT 1) AS one
       LEFT JOIN seat s ON s.schedule_id = $1 AND s.seat_no = $3`,
    [scheduleId, concertId, seatNo, userId],
  );
  if (!why?.schedule_bookable) throw new BookingErrors.SCHEDULE_NOT_FOUND(scheduleId);
  if (why.seat_status === null) throw new BookingErrors.SEAT_NOT_FOUND(seatNo);
  if (why.seat_status === 'SOLD' || why.seat_live_hold) throw new BookingErrors.SEAT_UNAVAILABLE(seatNo);
  if (why.live_holds >= maxHolds) throw new BookingErrors.HOLD_LIMIT_REACHED(maxHolds);
  // The seat was freed between our attempt and this read: still a lost race from the caller's view.
  throw new BookingErrors.SEAT_UNAVAILABLE(seatNo);
}
