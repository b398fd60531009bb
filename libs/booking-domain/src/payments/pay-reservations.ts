import { randomUUID } from 'node:crypto';
import { inTransaction, namedRows, type Sql, type SqlExecutor } from '@concert/db';
import { isUuid, type PaymentReceipt, type TokenRef } from '@concert/contract';
import { BookingErrors } from '../errors.js';
import { effectsOf, type Effect } from '../effects/effects.js';
import { withIdempotency, type StoredResponse } from '../idempotency/idempotency.js';

export type PaymentView = PaymentReceipt;

type FunctionRow = {
  outcome: string;
  failed_id: string | null;
  new_balance: number | null;
  total: number | null;
  paid: Date | null;
  effects: unknown;
};

/** SQLSTATE `booking_pay` raises when a seat is not held by its reservation any more. */
const SEAT_LOST = 'BK001';

/**
 * Pays for one or more held seats of the user, all or none, in one call of the SQL function
 * `booking_pay` (one round trip without an Idempotency-Key): every reservation must be the
 * user's, of a concert sold through `queueId` (the paying token's queue) and a live hold, and the
 * balance must cover the sum; then the seats are SOLD, the reservations CONFIRMED, one USE ledger
 * row and one payment row written. The reservations are locked in id order, so a reservation is
 * paid at most once. Ending `token` and the seats-left change are recorded in the outbox with the
 * payment, and returned to be applied after the commit.
 */
export async function payReservations(opts: {
  sql: Sql;
  userId: string;
  queueId: string;
  reservationIds: string[];
  /** The paying queue token, ended once the payment has committed. */
  token?: TokenRef;
  idempotencyKey?: string;
}): Promise<StoredResponse<PaymentView> & { effects: Effect[] }> {
  const { sql, userId, queueId, token, idempotencyKey } = opts;
  const ids = [...new Set(opts.reservationIds)].sort();
  const notAnId = ids.find((id) => !isUuid(id));
  if (notAnId !== undefined) throw new BookingErrors.RESERVATION_NOT_FOUND(notAnId);

  let effects: Effect[] = [];
  const pay = async (on: SqlExecutor): Promise<PaymentView> => {
    const paymentId = randomUUID();
    let row: FunctionRow;
    try {
      [row] = (await namedRows<FunctionRow>(on, 'pay', 'SELECT * FROM booking_pay($1, $2, $3, $4::uuid[], $5::jsonb)', [
        paymentId,
        userId,
        queueId,
        ids,
        token ? JSON.stringify(token) : null,
      ])) as [FunctionRow];
    } catch (error) {
      if ((error as { code?: string }).code === SEAT_LOST) throw new BookingErrors.RESERVATION_EXPIRED(ids.join(', '));
      throw error;
    }
    switch (row.outcome) {
      case 'PAID':
        effects = effectsOf(row.effects);
        return {
          paymentId,
          reservationIds: ids,
          amount: row.total!,
          balance: row.new_balance!,
          status: 'PAID',
          paidAt: row.paid!.toISOString(),
        };
      case 'RESERVATION_NOT_FOUND':
        throw new BookingErrors.RESERVATION_NOT_FOUND(row.failed_id);
      case 'TOKEN_WRONG_QUEUE':
        throw new BookingErrors.TOKEN_WRONG_QUEUE();
      case 'RESERVATION_ALREADY_PAID':
        throw new BookingErrors.RESERVATION_ALREADY_PAID(row.failed_id);
      case 'RESERVATION_EXPIRED':
        throw new BookingErrors.RESERVATION_EXPIRED(row.failed_id);
      default:
        throw new BookingErrors.INSUFFICIENT_BALANCE(row.new_balance, row.total);
    }
  };

  if (!idempotencyKey) return { statusCode: 201, body: await pay(sql), replayed: false, effects };
  const stored = await inTransaction(sql, (tx) =>
    withIdempotency(tx, { userId, scope: 'payments', key: idempotencyKey, request: { reservationIds: ids } }, 201, () =>
      pay(tx),
    ),
  );
  return { ...stored, effects };
}
