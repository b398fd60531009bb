import { isUuid, type RefundReceipt } from '@concert/contract';
import { inTransaction, rows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { EFFECTS_JSON, effectsOf, type Effect } from '../effects/effects.js';
import { INVENTORY_LOCK } from '../inventory/reconcile-seats-left.js';
import { withIdempotency, type StoredResponse } from '../idempotency/idempotency.js';

type Written = { balance: number; refunded_at: Date; effects: unknown };

/**
 * Refunds a whole payment of the user in one transaction: the balance is credited with one
 * REFUND ledger row, the reservations become REFUNDED and their seats AVAILABLE, the payment
 * REFUNDED; the seats-left change is recorded in the outbox (returned, to apply after the
 * commit). The payment row is locked first, so among any number of concurrent refunds exactly one
 * refunds and the others see it refunded. Refused once any of its dates starts within
 * `cutoffHours`. Someone else's payment is not found.
 *
 * The credit is the whole payment, even when it takes the balance past MAX_BALANCE: those points
 * were the fan's before they paid, and returning them never fails. The cap is on charging (no
 * charge takes a balance above it), so above it charges are refused until payments bring the
 * balance back under it; paying works as always.
 */
export async function refundPayment(opts: {
  sql: Sql;
  userId: string;
  paymentId: string;
  cutoffHours: number;
  idempotencyKey?: string;
}): Promise<StoredResponse<RefundReceipt> & { effects: Effect[] }> {
  const { sql, userId, paymentId, cutoffHours, idempotencyKey } = opts;
  if (!isUuid(paymentId)) throw new BookingErrors.PAYMENT_NOT_FOUND(paymentId);
  let effects: Effect[] = [];

  const refund = async (tx: SqlExecutor): Promise<RefundReceipt> => {
    // The queue's inventory lock (shared) before any row lock, as every seat change takes it.
    const [queue] = await rows<{ queue_id: string }>(
      tx,
      `SELECT c.queue_id, pg_advisory_xact_lock_shared($3::int, hashtext(c.queue_id))
         FROM payment p
         JOIN reservation r ON r.user_id = p.user_id AND r.payment_id = p.id
         JOIN concert c ON c.id = r.concert_id
        WHERE p.id = $1 AND p.user_id = $2
        LIMIT 1`,
      [paymentId, userId, INVENTORY_LOCK],
    );
    if (!queue) throw new BookingErrors.PAYMENT_NOT_FOUND(paymentId);
    const [payment] = await rows<{ status: string; amount: number; closed: boolean }>(
      tx,
      `SELECT p.status::text AS status, p.amount,
              EXISTS (SELECT 1 FROM reservation r JOIN schedule sc ON sc.id = r.schedule_id
                       WHERE r.user_id = p.user_id AND r.payment_id = p.id AND sc.starts_at <= now() + make_interval(hours => $3::int)) AS closed
         FROM payment p WHERE p.id = $1 AND p.user_id = $2
          FOR UPDATE OF p`,
      [paymentId, userId, cutoffHours],
    );
    if (!payment) throw new BookingErrors.PAYMENT_NOT_FOUND(paymentId);
    if (payment.status === 'REFUNDED') throw new BookingErrors.PAYMENT_ALREADY_REFUNDED(paymentId);
    if (payment.closed) throw new BookingErrors.REFUND_WINDOW_CLOSED(cutoffHours);

    const [written] = await rows<Written>(
      tx,
      `WITH refunded AS (
         UPDATE reservation SET status = 'REFUNDED', updated_at = now()
          WHERE user_id = $2 AND status = 'CONFIRMED' AND payment_id = $1
         RETURNING id, seat_id
       ), freed AS (
         UPDATE seat s SET status = 'AVAILABLE', reservation_id = NULL, hold_expires_at = NULL
           FROM refunded, schedule sc
          WHERE s.id = refunded.seat_id AND s.reservation_id = refunded.id AND s.status = 'SOLD'
            AND sc.id = s.schedule_id
         RETURNING sc.starts_at > now() AS future
       ), credited AS (
         INSERT INTO point_balance (user_id, balance, updated_at) VALUES ($2, $3, now())
         ON CONFLICT (user_id) DO UPDATE SET balance = point_balance.balance + EXCLUDED.balance, updated_at = now()
         RETURNING balance
       ), ledger AS (
         INSERT INTO point_transaction (user_id, type, amount, balance_after, payment_id)
         SELECT $2, 'REFUND', $3, balance, $1 FROM credited
       ), marked AS (
         UPDATE payment SET status = 'REFUNDED', refunded_at = now() WHERE id = $1
         RETURNING refunded_at
       ), new_effects AS (
         INSERT INTO outbox_effect (queue_id, payload)
         SELECT $4, jsonb_build_object('seats', jsonb_build_object('left', count(*), 'held', 0))
           FROM freed WHERE future HAVING count(*) > 0
         RETURNING id, queue_id, payload
       )
       SELECT (SELECT balance FROM credited) AS balance, (SELECT refunded_at FROM marked) AS refunded_at,
              (SELECT ${EFFECTS_JSON} FROM new_effects fx) AS effects`,
      [paymentId, userId, payment.amount, queue.queue_id],
    );
    effects = effectsOf(written!.effects);
    return {
      paymentId,
      amount: payment.amount,
      balance: written!.balance,
      status: 'REFUNDED',
      refundedAt: written!.refunded_at.toISOString(),
    };
  };

  const stored = await inTransaction(sql, (tx) =>
    idempotencyKey
      ? withIdempotency(tx, { userId, scope: 'refunds', key: idempotencyKey, request: { paymentId } }, 200, () =>
          refund(tx),
        )
      : refund(tx).then((body) => ({ statusCode: 200, body, replayed: false })),
  );
  return { ...stored, effects };
}
