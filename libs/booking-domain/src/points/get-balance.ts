import { rows, type Sql } from '@concert/db';

/** A user's balance; 0 for someone who never charged. */
export async function getBalance({ sql, userId }: { sql: Sql; userId: string }) {
  const [row] = await rows<{ balance: number }>(sql, 'SELECT balance FROM point_balance WHERE user_id = $1', [userId]);
  return { userId, balance: row?.balance ?? 0 };
}
