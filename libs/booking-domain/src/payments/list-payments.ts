import { isUuid, type Payment } from '@concert/contract';
import { rows, type Sql } from '@concert/db';
import { BookingErrors } from '../errors.js';

/** How many records one call returns, newest first. */
export const RECORDS_PAGE_SIZE = 100;

type Row = {
  id: string;
  reservation_ids: string[];
  amount: number;
  status: Payment['status'];
  paid_at: Date;
  refunded_at: Date | null;
};

const SELECT_PAYMENTS = `
  SELECT p.id, p.amount, p.status::text AS status, p.paid_at, p.refunded_at,
         coalesce((SELECT array_agg(r.id::text ORDER BY r.id) FROM reservation r
                   WHERE r.user_id = p.user_id AND r.payment_id = p.id),
                  '{}') AS reservation_ids
    FROM payment p`;

const toPayment = (row: Row): Payment => ({
  paymentId: row.id,
  reservationIds: row.reservation_ids,
  amount: row.amount,
  status: row.status,
  paidAt: row.paid_at.toISOString(),
  refundedAt: row.refunded_at?.toISOString() ?? null,
});

/** The user's payments, newest first (the latest RECORDS_PAGE_SIZE). */
export async function listPayments({ sql, userId }: { sql: Sql; userId: string }): Promise<Payment[]> {
  const found = await rows<Row>(
    sql,
    `${SELECT_PAYMENTS} WHERE p.user_id = $1 ORDER BY p.paid_at DESC, p.id DESC LIMIT $2`,
    [userId, RECORDS_PAGE_SIZE],
  );
  return found.map(toPayment);
}

/** One of the user's payments; someone else's is "not found", never "forbidden". */
export async function getPayment(opts: { sql: Sql; userId: string; paymentId: string }): Promise<Payment> {
  const { sql, userId, paymentId } = opts;
  const [row] = isUuid(paymentId)
    ? await rows<Row>(sql, `${SELECT_PAYMENTS} WHERE p.id = $1 AND p.user_id = $2`, [paymentId, userId])
    : [];
  if (!row) throw new BookingErrors.PAYMENT_NOT_FOUND(paymentId);
  return toPayment(row);
}
