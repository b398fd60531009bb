import { rows, type Sql } from '@concert/db';
import type { Concert } from '@concert/contract';

/** Every concert with the queue a fan joins to book it. */
export async function listConcerts({ sql }: { sql: Sql }): Promise<Concert[]> {
  return rows<Concert>(sql, 'SELECT id, title, queue_id AS "queueId" FROM concert ORDER BY created_at, id');
}
