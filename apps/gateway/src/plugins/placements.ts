import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { createPlacementReader, createWaitingRoom, duplicateRedis, type PlacementReader } from '@concert/queue';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where fans stand: from this instance's line snapshots where they vouch for it, else Redis. */
    placements: PlacementReader;
  }
}

/** Per-instance line snapshots (libs/queue/src/line-snapshot.ts) for polls and event streams. */
async function placements(app: FastifyInstance, opts: { config: Config }) {
  // Snapshots are read on a connection of their own: on the shared auto-pipelined one, a
  // snapshot waiting on a hung Redis would hold every request's command behind it (one pipeline
  // in flight at a time), and a long line's snapshot is a reply of some size.
  const connection = duplicateRedis(app.redis);
  connection.on('error', () => {}); // the shared client logs the outage already
  const snapshots = createWaitingRoom({ redis: connection, prefix: opts.config.REDIS_PREFIX });
  const reader = createPlacementReader({
    waitingRoom: {
      status: app.waitingRoom.status,
      statuses: app.waitingRoom.statuses,
      ranksAt: app.waitingRoom.ranksAt,
      lineSnapshot: snapshots.lineSnapshot,
    },
    refreshMs: opts.config.LINE_SNAPSHOT_MS,
    onError: (error) => app.log.warn({ err: { message: error.message } }, 'line snapshot not refreshed'),
  });
  app.decorate('placements', reader);
  app.addHook('onClose', async () => {
    reader.close();
    await connection.quit().catch(() => connection.disconnect());
  });
}

export const placementsPlugin = fp(placements, { name: 'placements', dependencies: ['waiting-room'] });
