import type { Db } from '@concert/db';

/**
 * DESIGN.md's database invariants (1–3), checked over the whole database with SQL. Returns the
 * offending rows per rule; every list is empty when all hold.
 */
export async function invariantViolations(db: Db) {
  const balances = await db.$queryRaw<{ user_id: string }[]>`
    SELECT b.user_id FROM point_balance b
      LEFT JOIN (SELECT user_id, sum(CASE WHEN type = 'CHARGE' THEN amount ELSE -amount END) AS net
                   FROM point_transaction GROUP BY user_id) l ON l.user_id = b.user_id
     WHERE b.balance <> coalesce(l.net, 0) OR b.balance < 0`;
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
  return { balances, doubleHeld, doubleSold, soldWithoutPayment, paymentMismatch };
}

export const NO_VIOLATIONS = {
  balances: [],
  doubleHeld: [],
  doubleSold: [],
  soldWithoutPayment: [],
  paymentMismatch: [],
};
