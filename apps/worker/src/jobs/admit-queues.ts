import type { JobDefinition } from './definitions.js';

/**
 * Every tick, for every configured queue (one atomic script each, pipelined together): drop
 * active tokens whose time is over, admit from the head of the line up to maxActive (not while
 * paused), and refresh the admission rate the gateway's ETA uses.
 */
export const admitQueues: JobDefinition = {
  name: 'admit-queues',
  everyMs: (config) => config.ADMIT_INTERVAL_MS,
  async handle({ waitingRoom, metrics }) {
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
    return { queues: queueIds.length, admitted, expired };
  },
};
