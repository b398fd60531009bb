import { randomUUID } from 'node:crypto';
import { inTransaction, rows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { withIdempotency, type StoredResponse } from '../idempotency/with-idempotency.js';

export type PaymentView = {
  paymentId: string;
  reservationIds: string[];
  amount: number;
  balance: number;
  status: 'PAID';
  paidAt: Date;
};

/** What identifies a payment request for its Idempotency-Key: the set of reservations. */
export function paymentRequest(reservationIds: string[]) {
  return { reservationIds: [...new Set(reservationIds)].sort() };
}

type Locked = { id: string; user_id: string; concert_id: string; status: string; live: boolean; price: number };

/**
 * Pays for one or more held seats in one transaction: every hold must be the user's and still
 * live, the balance must cover the sum; then the seats are SOLD, the reservations CONFIRMED, one
 * USE ledger row and one payment row are written. Reservation rows are locked in id order (no
 * deadlock between overlapping payments), so a reservation is paid at most once.
 * `authorizeConcerts` lets the caller refuse reservations of a concert the token is not for.
 */
export async function payReservations(opts: {
  sql: Sql;
  userId: string;
  reservationIds: string[];
  idempotencyKey?: string;
  authorizeConcerts?: (concertIds: string[]) => Promise<void>;
}): Promise<StoredResponse<PaymentView>> {
  const { sql, userId, idempotencyKey } = opts;
  const ids = paymentRequest(opts.reservationIds).reservationIds;

  const pay = async (tx: SqlExecutor): Promise<PaymentView> => {
    const locked = await rows<Locked>(
      tx,
      `SELECT id, user_id, concert_id, status::text AS status, (expires_at > now()) AS live, price
         FROM reservation WHERE id = ANY($1::uuid[])
        ORDER BY id
          FOR UPDATE`,
      [ids],
    );
    const mine = locked.filter((row) => row.user_id === userId);
    const missing = ids.find((id) => !mine.some((row) => row.id === id));
    if (missing) throw new BookingErrors.RESERVATION_NOT_FOUND(missing);
    await opts.authorizeConcerts?.([...new Set(mine.map((row) => row.concert_id))]);
    const paid = mine.find((row) => row.status === 'CONFIRMED');
    if (paid) throw new BookingErrors.RESERVATION_ALREADY_PAID(paid.id);
    const lapsed = mine.find((row) => row.status !== 'HELD' || !row.live);
    if (lapsed) throw new BookingErrors.RESERVATION_EXPIRED(lapsed.id);

    const amount = mine.reduce((sum, row) => sum + row.price, 0);
    const [debited] = await rows<{ balance: number }>(
      tx,
      `UPDATE point_balance SET balance = balance - $2, updated_at = now()
        WHERE user_id = $1 AND balance >= $2
       RETURNING balance`,
      [userId, amount],
    );
    if (!debited) {
      const [current] = await rows<{ balance: number }>(tx, 'SELECT balance FROM point_balance WHERE user_id = $1', [
        userId,
      ]);
      throw new BookingErrors.INSUFFICIENT_BALANCE(current?.balance ?? 0, amount);
    }

    // Every write of the payment in one statement. The seat must still be held by this very
    // reservation (a lapsed seat may have been re-held by someone else): the count of seats
    // sold tells, and a mismatch rolls the whole transaction back.
    const paymentId = randomUUID();
    const [written] = await rows<{ paid_at: Date; seats: number }>(
      tx,
      `WITH payment AS (
         INSERT INTO payment (id, user_id, amount) VALUES ($1, $2, $3)
         RETURNING paid_at
       ), ledger AS (
         INSERT INTO point_transaction (user_id, type, amount, balance_after, payment_id)
         VALUES ($2, 'USE', $3, $4, $1)
       ), seats AS (
         UPDATE seat SET status = 'SOLD', hold_expires_at = NULL
          WHERE reservation_id = ANY($5::uuid[]) AND status = 'HELD' AND hold_expires_at > now()
         RETURNING id
       ), confirmed AS (
         UPDATE reservation SET status = 'CONFIRMED', payment_id = $1, updated_at = now()
          WHERE id = ANY($5::uuid[])
         RETURNING id
       )
       SELECT payment.paid_at, (SELECT count(*) FROM seats)::int AS seats FROM payment`,
      [paymentId, userId, amount, debited.balance, ids],
    );
    if (written?.seats !== ids.length) throw new BookingErrors.RESERVATION_EXPIRED(ids.join(', '));
    return {
      paymentId,
      reservationIds: ids,
      amount,
      balance: debited.balance,
      status: 'PAID',
      paidAt: written.paid_at,
    };
  };

  return inTransaction(sql, async (tx) => {
    if (!idempotencyKey) return { statusCode: 201, body: await pay(tx), replayed: false };
    return withIdempotency(
      tx,
      { userId, scope: 'payments', key: idempotencyKey, request: paymentRequest(ids) },
      201,
      () => pay(tx),
    );
  });
}
