import type { EffectTargets } from '@concert/booking-domain';
import { createSeatsLeft } from '@concert/queue';
import type { JobContext } from './definitions.js';

/** Where the worker applies booking's recorded effects: the seats-left figures and the waiting room. */
export function effectTargetsOf({ redis, config, waitingRoom }: JobContext): EffectTargets {
  const seatsLeft = createSeatsLeft({ redis, prefix: config.REDIS_PREFIX });
  return {
    applySeatDeltas: (queueId, deltas) => seatsLeft.apply(queueId, deltas),
    // The only token an effect ends is a paying one: counted as paid in the queue's totals.
    endToken: (queueId, token) => waitingRoom.remove(queueId, token, 'paid'),
  };
}
