import type { JobDefinition } from './definitions.js';

/**
 * Forgets waiting tokens past their hard expiry (`exp`), per queue, in bounded batches, so Redis
 * memory does not grow with places nobody will ever come back for.
 */
export const sweepTokens: JobDefinition = {
  name: 'sweep-tokens',
  everyMs: (config) => config.SWEEP_INTERVAL_MS,
  async handle({ config, waitingRoom, metrics }) {
    const queueIds = await waitingRoom.queueIds();
    const swept = await Promise.all(
      queueIds.map((queueId) => waitingRoom.sweep(queueId, { tokenTtlSeconds: config.TOKEN_TTL_SECONDS })),
    );
    const forgottenTokens = swept.reduce((sum, n) => sum + n, 0);
    metrics.forgottenTokens.inc(forgottenTokens);
    return { forgottenTokens };
  },
};
