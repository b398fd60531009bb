import { listQueueSettings } from '@concert/db';
import type { JobDefinition, JobContext } from './definitions.js';

/**
 * Queues Redis has lost (it restarted empty, or failed over to an empty replica) are copied back
 * from PostgreSQL, so the line works again within a tick without an operator. Best effort: with
 * PostgreSQL down, the queues Redis still knows keep being admitted.
 */
async function restoreLostQueues({ sql, waitingRoom, log }: JobContext): Promise<number> {
  try {
    const stored = await listQueueSettings(sql);
    const restored = await waitingRoom.restoreMissing(
      stored.map(({ queueId, ...settings }) => ({ queueId, settings })),
    );
    if (restored.length) log.warn({ queues: restored }, 'queues restored into Redis from PostgreSQL');
    return restored.length;
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'could not compare queues with PostgreSQL');
    return 0;
  }
}

/**
 * Every tick, for every configured queue (one atomic script each, pipelined together): drop
 * active tokens whose time is over, admit from the head of the line up to maxActive (not while
 * paused), and refresh the admission rate the gateway's ETA uses.
 */
export const admitQueues: JobDefinition = {
  name: 'admit-queues',
  everyMs: (config) => config.ADMIT_INTERVAL_MS,
  async handle(context) {
    const { waitingRoom, metrics } = context;
    const restored = await restoreLostQueues(context);
    const queueIds = await waitingRoom.queueIds();
    const results = await Promise.all(
      queueIds.map(async (queueId) => ({ queueId, ...(await waitingRoom.tick(queueId)) })),
    );
    let admitted = 0;
    let expired = 0;
    for (const result of results) {
      metrics.admitted.inc({ queue: result.queueId }, result.admitted);
      metrics.expiredTokens.inc({ queue: result.queueId }, result.expired);
      admitted += result.admitted;
      expired += result.expired;
    }
    return { queues: queueIds.length, admitted, expired, restored };
  },
};
