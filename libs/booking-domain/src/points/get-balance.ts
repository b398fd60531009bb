import type { Db } from '@concert/db';

/** A user's balance; 0 for someone who never charged. */
export async function getBalance({ db, userId }: { db: Db; userId: string }) {
  const row = await db.pointBalance.findUnique({ where: { userId }, select: { balance: true } });
  return { userId, balance: row?.balance ?? 0 };
}
