import type { Db } from '@concert/db';
import { BookingErrors } from '../errors.js';
import { withIdempotency, type StoredResponse } from '../idempotency/with-idempotency.js';

/** What identifies a charge request for its Idempotency-Key. */
export function chargeRequest(amount: number) {
  return { amount };
}

export type BalanceView = { userId: string; balance: number };

/**
 * Adds points: the balance row is created or raised by one conditional upsert (so concurrent
 * charges add up exactly and never pass `maxBalance`), and a CHARGE ledger row records it.
 */
export async function chargePoints(opts: {
  db: Db;
  userId: string;
  amount: number;
  maxBalance: number;
  idempotencyKey?: string;
}): Promise<StoredResponse<BalanceView>> {
  const { db, userId, amount, maxBalance, idempotencyKey } = opts;
  const idempotency = idempotencyKey
    ? { userId, scope: 'points.charge', key: idempotencyKey, request: chargeRequest(amount) }
    : undefined;
  return db.$transaction((tx) =>
    withIdempotency(tx, idempotency, 200, async () => {
      const [row] = await tx.$queryRaw<{ balance: number }[]>`
        INSERT INTO point_balance (user_id, balance, updated_at) VALUES (${userId}, ${amount}::int, now())
        ON CONFLICT (user_id) DO UPDATE
          SET balance = point_balance.balance + EXCLUDED.balance, updated_at = now()
          WHERE point_balance.balance + EXCLUDED.balance <= ${maxBalance}::int
        RETURNING balance`;
      if (!row) throw new BookingErrors.BALANCE_LIMIT_EXCEEDED(maxBalance);
      await tx.$executeRaw`
        INSERT INTO point_transaction (user_id, type, amount, balance_after)
        VALUES (${userId}, 'CHARGE', ${amount}::int, ${row.balance}::int)`;
      return { userId, balance: row.balance };
    }),
  );
}
