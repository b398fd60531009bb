import { isUuid, type HeldSeats, type HoldRequest, type Reservation } from '@concert/contract';
import { inTransaction, namedRows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { effectsOf, type Effect } from '../effects/effects.js';
import { withIdempotency, type StoredResponse } from '../idempotency/idempotency.js';

/** `{ seatNo }` answers one Reservation; `{ seatNos }` and `{ quantity }` answer HeldSeats. */
export type HoldResult = Reservation | HeldSeats;
/** A hold's answer (possibly a stored one) and the effects to apply after its commit. */
export type HoldOutcome = StoredResponse<HoldResult> & { effects: Effect[] };

/** Why a hold is refused (`outcome` null: it is not), as the SQL functions say it. */
type Refusal = { outcome: string | null; failed_seat_no: number | null };

type FunctionRow = Refusal & {
  outcome: string;
  held_until: Date | null;
  held: { id: string; seatNo: number; price: number }[] | null;
  effects: unknown;
};

type HoldOptions = {
  sql: Sql;
  userId: string;
  concertId: string;
  scheduleId: string;
  request: HoldRequest;
  holdSeconds: number;
  maxHolds: number;
  /** Seats of one concert a user may hold and own together; no limit when left out. */
  maxTickets?: number;
  idempotencyKey?: string;
};

/**
 * Holds seats for `holdSeconds`, all or none: the seats named (`{ seatNo }`, `{ seatNos }`), or
 * the best `quantity` consecutive free seats (SQL `booking_pick_block`: within `maxPrice`, none
 * stranded alone if that can be helped, then the lowest numbers). One call of a SQL function
 * (`booking_hold_seats`, `booking_hold_best`) locks, checks and writes in one round trip: among
 * concurrent requests for a seat exactly one wins, the per-user limits are exact under a user's own
 * concurrency, and best-available picks of a date are serialised, so two fans asking at once get
 * different seats, never the same. A request with no chance (no such date, a seat missing or
 * visibly taken, no block free) is refused after one read, before any lock, by the same SQL checks
 * the hold makes, so it gets the answer the hold would give.
 */
export async function holdSeats(opts: HoldOptions): Promise<HoldOutcome> {
  const { sql, userId, concertId, scheduleId, request, idempotencyKey } = opts;
  if (!isUuid(scheduleId)) throw new BookingErrors.SCHEDULE_NOT_FOUND(scheduleId);
  let effects: Effect[] = [];
  const hold = async (on: SqlExecutor): Promise<HoldResult> => {
    const row = await callHoldFunction(on, opts);
    if (row.outcome !== 'HELD') throw refusal(row, opts);
    const taken = resultOf(row, opts);
    effects = taken.effects;
    return taken.result;
  };

  if (!idempotencyKey) {
    // Fast path for the losers of a rush (skipped with a key: a replay must not be told "taken").
    await refuseHopeless(sql, opts);
    return { statusCode: 201, body: await hold(sql), replayed: false, effects };
  }
  const stored = await inTransaction(sql, (tx) =>
    withIdempotency(
      tx,
      { userId, scope: 'holds', key: idempotencyKey, request: { concertId, scheduleId, body: request } },
      201,
      () => hold(tx),
    ),
  );
  return { ...stored, effects };
}

const seatNosOf = (request: Exclude<HoldRequest, { quantity: number }>) =>
  'seatNo' in request ? [request.seatNo] : [...new Set(request.seatNos)].sort((a, b) => a - b);

/**
 * One read, no lock: refuses at once a request the hold would refuse for the date or the seats as
 * they are now (SQL `booking_hold_refusal`, in its order), or a `quantity` no block fits. The
 * limits are left to the hold: they need the user's lock, and a rush's losers lose on seats.
 */
async function refuseHopeless(sql: Sql, opts: HoldOptions) {
  const { request, concertId, scheduleId } = opts;
  if ('quantity' in request) {
    const [seen] = await namedRows<Refusal & { hopeless: boolean | null }>(
      sql,
      'hold-best-refusal',
      `SELECT r.outcome, r.failed_seat_no, r.outcome IS NULL AND booking_pick_block($2, $3, $4) IS NULL AS hopeless
         FROM booking_hold_refusal($1, $2, NULL) r`,
      [concertId, scheduleId, request.quantity, request.maxPrice ?? null],
    );
    if (seen!.outcome) throw refusal(seen!, opts);
    if (seen!.hopeless) throw notEnoughSeats(request);
    return;
  }
  const [seen] = await namedRows<Refusal>(
    sql,
    'hold-refusal',
    'SELECT outcome, failed_seat_no FROM booking_hold_refusal($1, $2, $3::int[])',
    [concertId, scheduleId, seatNosOf(request)],
  );
  if (seen!.outcome) throw refusal(seen!, opts);
}

const notEnoughSeats = (request: { quantity: number; maxPrice?: number }) =>
  new BookingErrors.NOT_ENOUGH_SEATS(
    request.quantity,
    request.maxPrice === undefined ? '' : ` at ${request.maxPrice} points or less`,
  );

async function callHoldFunction(on: SqlExecutor, opts: HoldOptions): Promise<FunctionRow> {
  const { request } = opts;
  const [row] =
    'quantity' in request
      ? await namedRows<FunctionRow>(
          on,
          'hold-best',
          'SELECT * FROM booking_hold_best($1, $2, $3, $4, $5, $6, $7, $8)',
          [
            opts.userId,
            opts.concertId,
            opts.scheduleId,
            request.quantity,
            request.maxPrice ?? null,
            opts.holdSeconds,
            opts.maxHolds,
            opts.maxTickets ?? null,
          ],
        )
      : await namedRows<FunctionRow>(
          on,
          'hold-seats',
          'SELECT * FROM booking_hold_seats($1, $2, $3, $4::int[], $5, $6, $7)',
          [
            opts.userId,
            opts.concertId,
            opts.scheduleId,
            seatNosOf(request),
            opts.holdSeconds,
            opts.maxHolds,
            opts.maxTickets ?? null,
          ],
        );
  return row!;
}

function refusal(row: Refusal, opts: HoldOptions): Error {
  switch (row.outcome) {
    case 'SEAT_NOT_FOUND':
      return new BookingErrors.SEAT_NOT_FOUND(row.failed_seat_no);
    case 'SEAT_UNAVAILABLE':
      return new BookingErrors.SEAT_UNAVAILABLE(row.failed_seat_no);
    case 'HOLD_LIMIT_REACHED':
      return new BookingErrors.HOLD_LIMIT_REACHED(opts.maxHolds);
    case 'TICKET_LIMIT_REACHED':
      return new BookingErrors.TICKET_LIMIT_REACHED(opts.maxTickets);
    case 'NOT_ENOUGH_SEATS':
      return notEnoughSeats(opts.request as { quantity: number; maxPrice?: number });
    default:
      return new BookingErrors.SCHEDULE_NOT_FOUND(opts.scheduleId);
  }
}

function resultOf(row: FunctionRow, opts: HoldOptions): { result: HoldResult; effects: Effect[] } {
  const expiresAt = row.held_until!.toISOString();
  const reservations: Reservation[] = row.held!.map((seat) => ({
    reservationId: seat.id,
    concertId: opts.concertId,
    scheduleId: opts.scheduleId,
    seatNo: seat.seatNo,
    price: seat.price,
    status: 'HELD',
    expiresAt,
    paymentId: null,
  }));
  const result: HoldResult =
    'seatNo' in opts.request
      ? reservations[0]!
      : { reservations, amount: reservations.reduce((sum, r) => sum + r.price, 0), expiresAt };
  return { result, effects: effectsOf(row.effects) };
}
