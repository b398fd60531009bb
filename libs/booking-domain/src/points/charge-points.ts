import { inTransaction, rows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';
import type { Balance } from '@concert/contract';
import { withIdempotency, type StoredResponse } from '../idempotency/idempotency.js';

export type BalanceView = Balance;

/**
 * Adds points: the balance row is created or raised by one conditional upsert (so concurrent
 * charges add up exactly and never pass `maxBalance`), and a CHARGE ledger row records it, in
 * the same statement.
 */
export async function chargePoints(opts: {
  sql: Sql;
  userId: string;
  amount: number;
  maxBalance: number;
  idempotencyKey?: string;
}): Promise<StoredResponse<BalanceView>> {
  const { sql, userId, amount, maxBalance, idempotencyKey } = opts;
  const charge = async (on: SqlExecutor): Promise<BalanceView> => {
    // A charge that would pass maxBalance updates nothing and returns no row.
    const [row] = await rows<{ balance: number }>(
      on,
      `WITH raised AS (
         INSERT INTO point_balance (user_id, balance, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (user_id) DO UPDATE
           SET balance = point_balance.balance + EXCLUDED.balance, updated_at = now()
           WHERE point_balance.balance + EXCLUDED.balance <= $3
         RETURNING balance
       ), ledger AS (
         INSERT INTO point_transaction (user_id, type, amount, balance_after)
         SELECT $1, 'CHARGE', $2, balance FROM raised
       )
       SELECT balance FROM raised`,
      [userId, amount, maxBalance],
    );
    if (!row) throw new BookingErrors.BALANCE_LIMIT_EXCEEDED(maxBalance);
    return { userId, balance: row.balance };
  };
  // Without a key a charge is one statement: no transaction needed.
  if (!idempotencyKey) return { statusCode: 200, body: await charge(sql), replayed: false };
  const idempotency = { userId, scope: 'points.charge' as const, key: idempotencyKey, request: { amount } };
  return inTransaction(sql, (tx) => withIdempotency(tx, idempotency, 200, () => charge(tx)));
}
