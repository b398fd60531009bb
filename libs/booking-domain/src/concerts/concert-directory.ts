import { isUuid } from '@concert/contract';
import { rows, type Sql } from '@concert/db';

type ConcertRef = { id: string; queueId: string };

const TTL_MS = 30_000;

/**
 * Concert id -> queue id, asked on every guarded request. A concert's queue never changes once
 * sold, so a short per-process cache is safe and saves a query per request. Only ever called
 * outside a transaction (it takes a pool connection of its own).
 */
export function createConcertDirectory(sql: Sql) {
  const cache = new Map<string, { value: ConcertRef | null; until: number }>();
  return {
    async find(concertId: string): Promise<ConcertRef | null> {
      if (!isUuid(concertId)) return null;
      const hit = cache.get(concertId);
      if (hit && hit.until > Date.now()) return hit.value;
      const [row] = await rows<{ id: string; queue_id: string }>(
        sql,
        'SELECT id, queue_id FROM concert WHERE id = $1',
        [concertId],
      );
      const value = row ? { id: row.id, queueId: row.queue_id } : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(concertId, { value, until: Date.now() + TTL_MS });
      return value;
    },
  };
}

export type ConcertDirectory = ReturnType<typeof createConcertDirectory>;
