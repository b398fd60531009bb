import { findQueueDrawSeed, listQueueSettings } from '@concert/db';
import type { JobDefinition, JobContext } from './definitions.js';

/**
 * Queues Redis has lost (it restarted empty, or failed over to an empty replica) are copied back
 * from PostgreSQL, with their lobby draw's seed, so the line works again within a tick without an
 * operator. Best effort: with PostgreSQL down, the queues Redis still knows keep being admitted.
 */
async function restoreLostQueues({ sql, waitingRoom, log }: JobContext): Promise<number> {
  try {
    const stored = await listQueueSettings(sql);
    const restored = await waitingRoom.restoreMissing(
      stored.map(({ queueId, ...settings }) => ({ queueId, settings })),
      (queueId) => findQueueDrawSeed(sql, queueId),
    );
    if (restored.length) log.warn({ queues: restored }, 'queues restored into Redis from PostgreSQL');
    return restored.length;
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'could not compare queues with PostgreSQL');
    return 0;
  }
}

/**
 * Every tick, for every configured queue (bounded scripts, queues side by side): drop waiters
 * absent for longer than their grace, open a lobby whose time has come and put it in line in the
 * drawn order, drop active tokens whose time is over, admit from the head of the line (within
 * maxActive, the seat cap and admitPerMinute; not while paused or sold out), and refresh the
 * admission rate the ETA uses. Several workers may tick at once: every step is atomic, the
 * opening happens once.
 */
export const admitQueues: JobDefinition = {
  name: 'admit-queues',
  everyMs: (config) => config.ADMIT_INTERVAL_MS,
  async handle(context) {
    const { waitingRoom, metrics, config } = context;
    const restored = await restoreLostQueues(context);
    const queueIds = await waitingRoom.queueIds();
    // Placing a big lobby goes on over several ticks, a tick's worth at a time, so that the other
    // queues' ticks (expiry, admission) never wait behind an opening.
    const placeBudgetMs = config.ADMIT_INTERVAL_MS;
    const results = await Promise.all(
      queueIds.map(async (queueId) => ({ queueId, ...(await waitingRoom.tick(queueId, { placeBudgetMs })) })),
    );
    const sum = { queues: queueIds.length, admitted: 0, expired: 0, abandoned: 0, placed: 0, opened: 0, restored };
    for (const result of results) {
      const queue = { queue: result.queueId };
      metrics.admitted.inc(queue, result.admitted);
      metrics.expiredTokens.inc(queue, result.expired);
      metrics.abandoned.inc(queue, result.abandoned);
      metrics.lobbyPlaced.inc(queue, result.placed);
      sum.admitted += result.admitted;
      sum.expired += result.expired;
      sum.abandoned += result.abandoned;
      sum.placed += result.placed;
      sum.opened += result.opened ? 1 : 0;
    }
    return sum;
  },
};
