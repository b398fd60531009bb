import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { applyEffects, type Effect, type EffectTargets } from '@concert/booking-domain';
import { createSeatsLeft, type SeatsLeft } from '@concert/queue';

declare module 'fastify' {
  interface FastifyInstance {
    /** The queues' seats-left figures in Redis (booking keeps them; the waiting room reads them). */
    seatsLeft: SeatsLeft;
    /**
     * Applies the effects a committed transaction recorded in the outbox (ending a paying token,
     * seats-left changes). Never throws: whatever fails stays in the outbox, and the worker
     * applies it within seconds.
     */
    applyEffects(effects: Effect[], log: FastifyBaseLogger): Promise<void>;
  }
}

/** Effects after commit: applied at once by the request, by the worker if that fails. */
async function effects(app: FastifyInstance, opts: { prefix: string }) {
  app.decorate('seatsLeft', createSeatsLeft({ redis: app.redis, prefix: opts.prefix }));
  // Looked up at each call, so the targets are whatever the app holds at that moment.
  const targets: EffectTargets = {
    applySeatDeltas: (queueId, deltas) => app.seatsLeft.apply(queueId, deltas),
    // The only token an effect ends is a paying one: counted as paid in the queue's totals.
    endToken: (queueId, token) => app.waitingRoom.remove(queueId, token, 'paid'),
  };
  app.decorate('applyEffects', async (effects: Effect[], log: FastifyBaseLogger) => {
    if (!effects.length) return;
    try {
      await applyEffects(effects, targets);
    } catch (err) {
      log.warn(
        { err: { message: (err as Error).message }, effects: effects.map((effect) => effect.id) },
        'committed; effects left in the outbox for the worker',
      );
    }
  });
}

export const effectsPlugin = fp(effects, { name: 'effects', dependencies: ['waiting-room'] });
