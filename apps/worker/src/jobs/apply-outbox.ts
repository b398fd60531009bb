import { applyPendingEffects, listInventoryQueues, reconcileSeatsLeft } from '@concert/booking-domain';
import { APPLIED_EFFECTS_RETENTION_MS, createSeatsLeft } from '@concert/queue';
import type { JobDefinition } from './definitions.js';
import { effectTargetsOf } from './effect-targets.js';

const BATCH = 500;
// Bounded work per run: a backlog (Redis was down for a while) is worked off over several runs.
const MAX_BATCHES_PER_RUN = 20;

/**
 * Every tick: applies the effects committed transactions recorded but that nobody applied yet (the
 * booking process died after its commit, or Redis was down then): paying tokens ended, seats-left
 * figures changed; applying one twice is harmless, so a crash mid-way loses nothing. Seat figures
 * Redis does not have (it restarted empty) are counted again from PostgreSQL at once, as are those
 * of queues with changes too old to apply safely.
 */
export const applyOutbox: JobDefinition = {
  name: 'apply-outbox',
  everyMs: (config) => config.ADMIT_INTERVAL_MS,
  async handle(context) {
    const { sql, redis, config } = context;
    const targets = effectTargetsOf(context);
    const seatsLeft = createSeatsLeft({ redis, prefix: config.REDIS_PREFIX });
    let applied = 0;
    const toReconcile = new Set<string>();
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const done = await applyPendingEffects({
        sql,
        targets,
        batch: BATCH,
        staleAfterMs: APPLIED_EFFECTS_RETENTION_MS / 2,
      });
      applied += done.applied;
      for (const queueId of done.toReconcile) toReconcile.add(queueId);
      if (done.applied < BATCH) break;
    }
    for (const queueId of await listInventoryQueues({ sql })) {
      if (!toReconcile.has(queueId) && (await seatsLeft.read(queueId)) === null) toReconcile.add(queueId);
    }
    for (const queueId of toReconcile) {
      await reconcileSeatsLeft({
        sql,
        queueId,
        write: (counts, countedEffectIds) => seatsLeft.reconcile(queueId, counts, countedEffectIds),
      });
    }
    context.metrics.outboxEffects.inc(applied);
    return { applied, reconciled: toReconcile.size };
  },
};
