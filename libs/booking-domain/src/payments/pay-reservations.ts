import { randomUUID } from 'node:crypto';
import { inTransaction, rows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { findOwnReservations } from '../reservations/find-own-reservations.js';
import { isUuid, type PaymentReceipt } from '@concert/contract';
import { withIdempotency, type StoredResponse } from '../idempotency/idempotency.js';

export type PaymentView = PaymentReceipt;

/**
 * Pays for one or more held seats in one transaction: every hold must be the user's and still
 * live, the balance must cover the sum; then the seats are SOLD, the reservations CONFIRMED, one
 * USE ledger row and one payment row are written. The user's reservation rows are locked in id
 * order (no deadlock between overlapping payments), so a reservation is paid at most once.
 * Every reservation must be of a concert sold through `queueId`, the paying token's queue.
 */
export async function payReservations(opts: {
  sql: Sql;
  userId: string;
  queueId: string;
  reservationIds: string[];
  idempotencyKey?: string;
}): Promise<StoredResponse<PaymentView>> {
  const { sql, userId, queueId, idempotencyKey } = opts;
  const ids = [...new Set(opts.reservationIds)].sort();
  const notAnId = ids.find((id) => !isUuid(id));
  if (notAnId) throw new BookingErrors.RESERVATION_NOT_FOUND(notAnId);

  const pay = async (tx: SqlExecutor): Promise<PaymentView> => {
    const mine = await findOwnReservations(tx, userId, ids, { lock: true });
    const missing = ids.find((id) => !mine.some((reservation) => reservation.reservationId === id));
    if (missing) throw new BookingErrors.RESERVATION_NOT_FOUND(missing);
    // On this transaction's own connection: nothing here waits for a second pool connection.
    const [foreign] = await rows<{ id: string }>(
      tx,
      'SELECT id FROM concert WHERE id = ANY($1::uuid[]) AND queue_id <> $2 LIMIT 1',
      [[...new Set(mine.map((reservation) => reservation.concertId))], queueId],
    );
    if (foreign) throw new BookingErrors.TOKEN_WRONG_QUEUE();
    const paid = mine.find((reservation) => reservation.status === 'CONFIRMED');
    if (paid) throw new BookingErrors.RESERVATION_ALREADY_PAID(paid.reservationId);
    const lapsed = mine.find((reservation) => reservation.status !== 'HELD');
    if (lapsed) throw new BookingErrors.RESERVATION_EXPIRED(lapsed.reservationId);

    // Every write of the payment in one statement: the debit (only if the balance covers it),
    // payment, ledger row, seats and reservations. The seat must still be held by this very
    // reservation (a lapsed seat may have been re-held by someone else): the count of seats sold
    // tells. Any shortfall throws, and the transaction rolls back whatever the statement wrote.
    const amount = mine.reduce((sum, reservation) => sum + reservation.price, 0);
    const paymentId = randomUUID();
    const [written] = await rows<{ balance: number | null; paid_at: Date | null; seats: number }>(
      tx,
      `WITH debited AS (
         UPDATE point_balance SET balance = balance - $3, updated_at = now()
          WHERE user_id = $2 AND balance >= $3
         RETURNING balance
       ), payment AS (
         INSERT INTO payment (id, user_id, amount) SELECT $1, $2, $3 FROM debited
         RETURNING paid_at
       ), ledger AS (
         INSERT INTO point_transaction (user_id, type, amount, balance_after, payment_id)
         SELECT $2, 'USE', $3, balance, $1 FROM debited
       ), seats AS (
         UPDATE seat SET status = 'SOLD', hold_expires_at = NULL
          WHERE reservation_id = ANY($4::uuid[]) AND status = 'HELD' AND hold_expires_at > now()
            AND EXISTS (SELECT 1 FROM debited)
         RETURNING id
       ), confirmed AS (
         UPDATE reservation SET status = 'CONFIRMED', payment_id = $1, updated_at = now()
          WHERE id = ANY($4::uuid[]) AND EXISTS (SELECT 1 FROM debited)
         RETURNING id
       )
       SELECT (SELECT balance FROM debited) AS balance, (SELECT paid_at FROM payment) AS paid_at,
              (SELECT count(*) FROM seats)::int AS seats`,
      [paymentId, userId, amount, ids],
    );
    if (written?.balance == null) {
      const [current] = await rows<{ balance: number }>(tx, 'SELECT balance FROM point_balance WHERE user_id = $1', [
        userId,
      ]);
      throw new BookingErrors.INSUFFICIENT_BALANCE(current?.balance ?? 0, amount);
    }
    if (written?.seats !== ids.length) throw new BookingErrors.RESERVATION_EXPIRED(ids.join(', '));
    return {
      paymentId,
      reservationIds: ids,
      amount,
      balance: written.balance,
      status: 'PAID',
      paidAt: written.paid_at!.toISOString(),
    };
  };

  return inTransaction(sql, async (tx) => {
    if (!idempotencyKey) return { statusCode: 201, body: await pay(tx), replayed: false };
    return withIdempotency(
      tx,
      { userId, scope: 'payments', key: idempotencyKey, request: { reservationIds: ids } },
      201,
      () => pay(tx),
    );
  });
}
