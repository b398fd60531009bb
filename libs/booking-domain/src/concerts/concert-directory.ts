import type { Db } from '@concert/db';

type ConcertRef = { id: string; queueId: string };

const TTL_MS = 30_000;

/**
 * Concert id -> queue id, asked on every guarded request. A concert's queue never changes once
 * sold, so a short per-process cache is safe and saves a query per request.
 */
export function createConcertDirectory(db: Db) {
  const cache = new Map<string, { value: ConcertRef | null; until: number }>();
  return {
    async find(concertId: string): Promise<ConcertRef | null> {
      const hit = cache.get(concertId);
      if (hit && hit.until > Date.now()) return hit.value;
      const value = await db.concert.findUnique({ where: { id: concertId }, select: { id: true, queueId: true } });
      if (cache.size > 10_000) cache.clear();
      cache.set(concertId, { value, until: Date.now() + TTL_MS });
      return value;
    },
  };
}

export type ConcertDirectory = ReturnType<typeof createConcertDirectory>;
