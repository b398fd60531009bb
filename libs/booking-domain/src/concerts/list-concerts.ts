import type { Db } from '@concert/db';

/** Every concert with the queue a fan joins to book it. */
export async function listConcerts({ db }: { db: Db }) {
  const concerts = await db.concert.findMany({
    orderBy: { createdAt: 'asc' },
    select: { id: true, title: true, queueId: true },
  });
  return concerts;
}
