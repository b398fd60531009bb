import { applyPendingEffects } from '@concert/booking-domain';
import type { JobDefinition } from './definitions.js';
import { effectTargetsOf } from './effect-targets.js';

const BATCH = 500;
// Bounded work per run: a backlog (Redis was down for a while) is worked off over several runs.
const MAX_BATCHES_PER_RUN = 20;

/**
 * Applies the effects committed transactions recorded but that nobody applied yet (the booking
 * process died after its commit, or Redis was down then): paying tokens ended, seats-left figures
 * changed. Every tick; applying one twice is harmless, so a crash mid-way loses nothing.
 */
export const applyOutbox: JobDefinition = {
  name: 'apply-outbox',
  everyMs: (config) => config.ADMIT_INTERVAL_MS,
  async handle(context) {
    const targets = effectTargetsOf(context);
    let applied = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const done = await applyPendingEffects({ sql: context.sql, targets, batch: BATCH });
      applied += done;
      if (done < BATCH) break;
    }
    context.metrics.outboxEffects.inc(applied);
    return { applied };
  },
};
