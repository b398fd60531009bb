import { applyEffects, releaseLapsedHolds } from '@concert/booking-domain';
import type { JobDefinition } from './definitions.js';
import { effectTargetsOf } from './effect-targets.js';

const BATCH = 1000;
// Bounded work per run: a huge backlog is worked off over several runs, never in one long job.
const MAX_BATCHES_PER_RUN = 20;

/**
 * Lapsed holds become EXPIRED and their seats AVAILABLE (reads already treat them so), and the
 * queues' seats-left figures follow at once (if that fails, the outbox job applies them).
 */
export const releaseHolds: JobDefinition = {
  name: 'release-holds',
  everyMs: (config) => config.RELEASE_INTERVAL_MS,
  async handle(context) {
    const { sql, metrics, log } = context;
    const targets = effectTargetsOf(context);
    let released = 0;
    let seatsFreed = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const result = await releaseLapsedHolds({ sql, batch: BATCH });
      released += result.released;
      seatsFreed += result.seatsFreed;
      await applyEffects(result.effects, targets).catch((err: Error) =>
        log.warn({ err: { message: err.message } }, 'released; seats-left changes left in the outbox'),
      );
      if (result.released < BATCH) break;
    }
    metrics.releasedHolds.inc(released);
    return { released, seatsFreed };
  },
};
