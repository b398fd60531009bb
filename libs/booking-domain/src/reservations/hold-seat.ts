import type { Reservation } from '@concert/contract';
import type { Sql } from '@concert/db';
import { holdSeats } from './hold-seats.js';

/**
 * Holds one seat (see holdSeats), for callers outside a request (set-up of tests and the bench):
 * the seats-left change it records is left in the outbox, where the worker applies it.
 */
export async function holdSeat(opts: {
  sql: Sql;
  userId: string;
  concertId: string;
  scheduleId: string;
  seatNo: number;
  holdSeconds: number;
  maxHolds: number;
  maxTickets?: number;
}): Promise<Reservation> {
  const { body } = await holdSeats({ ...opts, request: { seatNo: opts.seatNo } });
  return body as Reservation;
}
