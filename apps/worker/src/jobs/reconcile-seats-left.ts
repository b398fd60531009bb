import { listInventoryQueues, reconcileSeatsLeft } from '@concert/booking-domain';
import { createSeatsLeft, type SeatFigures } from '@concert/queue';
import type { JobDefinition } from './definitions.js';

/**
 * Sets every queue's seats-left figures to what PostgreSQL counts, so they heal by themselves
 * whatever happened (Redis lost them, a date started, seats were added, any drift). A correction
 * is logged: with every change applied exactly once there should be none.
 */
export const reconcileSeats: JobDefinition = {
  name: 'reconcile-seats-left',
  everyMs: (config) => config.SWEEP_INTERVAL_MS,
  async handle({ sql, redis, config, log, metrics }) {
    const seatsLeft = createSeatsLeft({ redis, prefix: config.REDIS_PREFIX });
    const queueIds = await listInventoryQueues({ sql });
    let corrected = 0;
    for (const queueId of queueIds) {
      let before: SeatFigures | null = null;
      const counted = await reconcileSeatsLeft({
        sql,
        queueId,
        write: async (figures, countedEffectIds) => {
          before = await seatsLeft.reconcile(queueId, figures, countedEffectIds);
        },
      });
      const was = before as SeatFigures | null;
      if (was && (was.left !== counted.left || was.held !== counted.held)) {
        corrected++;
        log.warn({ queueId, was, counted }, 'seats-left figures corrected from PostgreSQL');
      }
    }
    metrics.correctedSeatFigures.inc(corrected);
    return { queues: queueIds.length, corrected };
  },
};
