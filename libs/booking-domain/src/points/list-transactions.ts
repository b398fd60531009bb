import type { Db } from '@concert/db';

/** How many ledger rows one call returns, newest first. */
export const LEDGER_PAGE_SIZE = 100;

/** The user's ledger, newest first. */
export async function listTransactions({ db, userId }: { db: Db; userId: string }) {
  const rows = await db.pointTransaction.findMany({
    where: { userId },
    orderBy: { id: 'desc' },
    take: LEDGER_PAGE_SIZE,
    select: { id: true, type: true, amount: true, balanceAfter: true, createdAt: true },
  });
  return rows.map((row) => ({ ...row, id: row.id.toString() }));
}
