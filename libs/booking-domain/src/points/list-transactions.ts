import { rows, type Sql } from '@concert/db';
import type { LedgerEntry } from '@concert/contract';

/** How many ledger rows one call returns, newest first. */
export const LEDGER_PAGE_SIZE = 100;

type Row = { id: string; type: LedgerEntry['type']; amount: number; balance_after: number; created_at: Date };

/** The user's ledger, newest first (the latest LEDGER_PAGE_SIZE rows). */
export async function listTransactions({ sql, userId }: { sql: Sql; userId: string }): Promise<LedgerEntry[]> {
  const found = await rows<Row>(
    sql,
    `SELECT id::text, type::text AS type, amount, balance_after, created_at
       FROM point_transaction WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
    [userId, LEDGER_PAGE_SIZE],
  );
  return found.map((row) => ({
    id: row.id,
    type: row.type,
    amount: row.amount,
    balanceAfter: row.balance_after,
    createdAt: row.created_at.toISOString(),
  }));
}
