import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { createPlacementReader, type PlacementReader } from '@concert/queue';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where fans stand: from this instance's line snapshots where they vouch for it, else Redis. */
    placements: PlacementReader;
  }
}

/** Per-instance line snapshots (libs/queue/src/line-snapshot.ts) for polls and event streams. */
async function placements(app: FastifyInstance, opts: { config: Config }) {
  const reader = createPlacementReader({
    waitingRoom: app.waitingRoom,
    refreshMs: opts.config.LINE_SNAPSHOT_MS,
    onError: (error) => app.log.warn({ err: { message: error.message } }, 'line snapshot not refreshed'),
  });
  app.decorate('placements', reader);
  app.addHook('onClose', async () => reader.close());
}

export const placementsPlugin = fp(placements, { name: 'placements', dependencies: ['waiting-room'] });
