import type { Db } from '@concert/db';

/**
 * DESIGN.md's database invariants (1–3), checked over the whole database with SQL. Returns the
 * offending rows per rule; every list is empty when all hold.
 */
export async function invariantViolations(db: Db) {
  // Invariant 2: balance = CHARGE − USE + REFUND, never negative.
  const balances = await db.$queryRaw<{ user_id: string }[]>`
    SELECT b.user_id FROM point_balance b
      LEFT JOIN (SELECT user_id,
                        sum(CASE type WHEN 'CHARGE' THEN amount WHEN 'REFUND' THEN amount WHEN 'USE' THEN -amount END) AS net
                   FROM point_transaction GROUP BY user_id) l ON l.user_id = b.user_id
     WHERE b.balance IS DISTINCT FROM coalesce(l.net, 0) OR b.balance < 0`;
  const doubleHeld = await db.$queryRaw<{ seat_id: string }[]>`
    SELECT seat_id FROM reservation WHERE status = 'HELD' AND expires_at > now() GROUP BY seat_id HAVING count(*) > 1`;
  const doubleSold = await db.$queryRaw<{ seat_id: string }[]>`
    SELECT seat_id FROM reservation WHERE status = 'CONFIRMED' GROUP BY seat_id HAVING count(*) > 1`;
  const soldWithoutPayment = await db.$queryRaw<{ id: string }[]>`
    SELECT s.id FROM seat s LEFT JOIN reservation r ON r.id = s.reservation_id
     WHERE s.status = 'SOLD' AND (r.status IS DISTINCT FROM 'CONFIRMED' OR r.payment_id IS NULL)`;
  const paymentMismatch = await db.$queryRaw<{ id: string }[]>`
    SELECT p.id FROM payment p
      LEFT JOIN (SELECT payment_id, sum(price) AS total FROM reservation GROUP BY payment_id) r ON r.payment_id = p.id
      LEFT JOIN (SELECT payment_id, count(*) AS uses, sum(amount) AS used
                   FROM point_transaction WHERE type = 'USE' GROUP BY payment_id) u ON u.payment_id = p.id
     WHERE r.total IS DISTINCT FROM p.amount OR u.uses IS DISTINCT FROM 1 OR u.used IS DISTINCT FROM p.amount`;
  // Invariant 3: a payment is refunded at most once, and a refund is whole: one REFUND row of the
  // payment's amount, every reservation REFUNDED (a paid one has no REFUND row and every
  // reservation CONFIRMED).
  const refundMismatch = await db.$queryRaw<{ id: string }[]>`
    SELECT p.id FROM payment p
      LEFT JOIN (SELECT payment_id, count(*) AS refunds, sum(amount) AS refunded
                   FROM point_transaction WHERE type = 'REFUND' GROUP BY payment_id) f ON f.payment_id = p.id
      LEFT JOIN (SELECT payment_id, count(*) AS n,
                        count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed,
                        count(*) FILTER (WHERE status = 'REFUNDED') AS refunded
                   FROM reservation GROUP BY payment_id) r ON r.payment_id = p.id
     WHERE CASE p.status
             WHEN 'PAID' THEN f.refunds IS NOT NULL OR p.refunded_at IS NOT NULL OR r.confirmed IS DISTINCT FROM r.n
             ELSE f.refunds IS DISTINCT FROM 1 OR f.refunded IS DISTINCT FROM p.amount
                  OR p.refunded_at IS NULL OR r.refunded IS DISTINCT FROM r.n
           END`;
  return { balances, doubleHeld, doubleSold, soldWithoutPayment, paymentMismatch, refundMismatch };
}

export const NO_VIOLATIONS = {
  balances: [],
  doubleHeld: [],
  doubleSold: [],
  soldWithoutPayment: [],
  paymentMismatch: [],
  refundMismatch: [],
};
