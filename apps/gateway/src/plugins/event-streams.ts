import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { HttpErrors } from '@concert/http';
import {
  createPlacementHub,
  createPresenceRecorder,
  createRedis,
  redisConnectionOf,
  type Placement,
  type PlacementHub,
  type PresenceRecorder,
  type TokenRef,
} from '@concert/queue';

/** A comment line every 15 s keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;
/** A client that reads nothing while this much waits in its buffer is cut off. */
const MAX_BUFFERED_BYTES = 64 * 1024;
const END_EVENT = `event: end\ndata: ${JSON.stringify({ reason: 'EXPIRED' })}\n\n`;

type Stream = {
  res: ServerResponse;
  /** Writes to the client, cutting it off when it reads too slowly. */
  write: (text: string) => void;
  close: () => void;
};

export type EventStreams = {
  /**
   * Turns the reply into an event stream of the token's placement: `first` at once, then every
   * change (at most once a second), `end` when the token dies. The caller has already answered
   * any error (the stream only opens for a live token).
   */
  open(reply: FastifyReply, queueId: string, ref: TokenRef, first: Placement): void;
  /** Throws 503 when this instance holds as many streams as it may. */
  assertRoom(): void;
  count(): number;
  hub: PlacementHub;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Presence of fans seen by this instance (polls, streams), written in batches. */
    presence: PresenceRecorder;
    eventStreams: EventStreams;
  }
}

const statusEvent = (queueId: string, placement: Placement) =>
  `event: status\ndata: ${JSON.stringify({ queueId, ...placement })}\n\n`;

/**
 * Presence batching and event streams of one gateway instance. Its only state is its own open
 * connections and the sightings of the last second: what any other instance may need is in Redis.
 */
async function eventStreams(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const warn = (what: string) => (error: Error) => app.log.warn({ err: { message: error.message } }, what);

  const presence = createPresenceRecorder({
    waitingRoom: app.waitingRoom,
    flushMs: config.PRESENCE_FLUSH_MS,
    abandonAfterSecondsOf: (queueId) => app.placements.abandonAfterSecondsOf(queueId),
    onError: warn('presence not recorded'),
  });
  // A connection of its own: a subscriber can send nothing else. It waits for Redis to come back
  // (and ioredis subscribes again by itself) instead of failing fast.
  const subscriber = createRedis(redisConnectionOf(config), {
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
  });
  subscriber.on('error', warn('redis subscriber connection error'));
  const hub = createPlacementHub({
    subscriber,
    channelOf: (queueId) => app.waitingRoom.channelOf(queueId),
    placements: (queueId, refs, change) => app.placements.placements(queueId, refs, change),
    onError: warn('placements of event streams not refreshed'),
  });
  presence.addSource(() => hub.watched());

  const streams = new Set<Stream>();
  const keepAlive = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  function open(reply: FastifyReply, queueId: string, ref: TokenRef, first: Placement) {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: pass events through at once
    });
    let closed = false;
    let unwatch = () => {};
    const close = () => {
      if (closed) return;
      closed = true;
      unwatch();
      streams.delete(stream);
    };
    const write = (text: string) => {
      if (closed) return;
      res.write(text);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        close();
      }
    };
    const stream: Stream = { res, write, close };
    write(statusEvent(queueId, first));
    unwatch = hub.watch(queueId, ref, first, (placement) => {
      if (placement) return write(statusEvent(queueId, placement));
      write(END_EVENT);
      res.end();
      close();
    });
    streams.add(stream);
    res.on('close', close);
    res.on('error', close);
  }

  app.decorate('presence', presence);
  app.decorate<EventStreams>('eventStreams', {
    open,
    assertRoom() {
      if (streams.size >= config.EVENT_STREAMS_PER_INSTANCE) throw new HttpErrors.SERVICE_UNAVAILABLE();
    },
    count: () => streams.size,
    hub,
  });

  // Before the server waits for connections to end: streams would never end by themselves.
  app.addHook('preClose', async () => {
    clearInterval(keepAlive);
    for (const stream of [...streams]) {
      stream.close();
      stream.res.end();
    }
    await hub.close();
    await presence.close();
  });
}

export const eventStreamsPlugin = fp(eventStreams, {
  name: 'event-streams',
  dependencies: ['waiting-room', 'placements'],
  fastify: '5.x',
});
