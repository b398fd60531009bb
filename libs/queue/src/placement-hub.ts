import type { RedisClient } from './redis.js';
import type { TokenRef } from '@concert/contract';
import type { Placement } from './waiting-room.js';

/**
 * Where the hub reads placements from: the waiting room's `statuses` (authoritative, a round trip
 * per 500 tokens), or anything answering the same question (a per-instance snapshot, say). A
 * `null` ends that watcher's stream, so a source must only say `null` for tokens truly gone.
 */
export type PlacementSource = (
  queueId: string,
  refs: TokenRef[],
  opts: { changedAt?: number },
) => Promise<(Placement | null)[]>;

type Watcher = {
  queueId: string;
  ref: TokenRef;
  onChange: (placement: Placement | null) => void;
  /** The last placement sent, as JSON, and its status. */
  last: string;
  lastStatus: Placement['status'];
  lastSentAt: number;
  open: boolean;
};

type WatchedQueue = {
  queueId: string;
  channel: string;
  watchers: Set<Watcher>;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  /** Another refresh is wanted once the running one is over. */
  again: boolean;
  /** When the last message (a change) came: a refresh must read placements as of after it. */
  changedAt: number;
  lastRunAt: number;
  createdAt: number;
};

/**
 * Pushes placement changes to the fans of this process who watch them (event streams), with one
 * Redis subscription per queue whatever the number of fans: the scripts that change a queue
 * publish on its channel; a message makes the hub re-read the placements of that queue's watchers
 * (a batched read) at most once per `minIntervalMs`, and tell each watcher whose placement
 * changed, at most once per `minIntervalMs` per watcher (a change of status, such as being
 * admitted, and the end go out at once). Every `refreshEveryMs` it re-reads
 * anyway (messages missed while Redis was unreachable, estimates that drift). No timer per
 * watcher; the subscription ends with the queue's last watcher.
 */
export function createPlacementHub(opts: {
  /** A connection of its own (it goes into subscriber mode); the hub closes it. */
  subscriber: RedisClient;
  channelOf: (queueId: string) => string;
  placements: PlacementSource;
  minIntervalMs?: number;
  refreshEveryMs?: number;
  onError?: (error: Error) => void;
}) {
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const refreshEveryMs = opts.refreshEveryMs ?? 10_000;
  const queues = new Map<string, WatchedQueue>();
  const byChannel = new Map<string, WatchedQueue>();
  let watcherCount = 0;
  let closed = false;
  const fail = (error: Error) => opts.onError?.(error);

  const subscriber = opts.subscriber;
  subscriber.on('message', (channel: string) => {
    const queue = byChannel.get(channel);
    if (!queue) return;
    queue.changedAt = Date.now();
    schedule(queue);
  });
  // After a reconnect (ioredis subscribes again by itself) messages may have been missed.
  subscriber.on('ready', () =>
    queues.forEach((queue) => {
      queue.changedAt = Date.now();
      schedule(queue);
    }),
  );

  function schedule(queue: WatchedQueue) {
    if (closed || queue.timer) return;
    if (queue.running) {
      queue.again = true;
      return;
    }
    const delay = Math.max(0, queue.lastRunAt + minIntervalMs - Date.now());
    queue.timer = setTimeout(() => void refresh(queue), delay);
  }

  async function refresh(queue: WatchedQueue) {
    queue.timer = undefined;
    if (!queue.watchers.size) return;
    queue.running = true;
    queue.lastRunAt = Date.now();
    const watchers = [...queue.watchers];
    try {
      const placements = await opts.placements(
        queue.queueId,
        watchers.map((watcher) => watcher.ref),
        { changedAt: queue.changedAt },
      );
      const now = Date.now();
      watchers.forEach((watcher, i) => {
        if (!watcher.open) return;
        const placement = placements[i]!;
        if (placement === null) {
          remove(watcher);
          watcher.onChange(null);
          return;
        }
        const text = JSON.stringify(placement);
        if (text === watcher.last) return;
        // A new status (admitted!) goes out at once; a moving position or estimate waits its turn.
        if (placement.status === watcher.lastStatus && now - watcher.lastSentAt < minIntervalMs) {
          queue.again = true; // too soon for this fan: the next refresh tells them
          return;
        }
        watcher.last = text;
        watcher.lastStatus = placement.status;
        watcher.lastSentAt = now;
        watcher.onChange(placement);
      });
    } catch (error) {
      fail(error as Error);
      queue.again = true;
    } finally {
      queue.running = false;
      if (queue.again) {
        queue.again = false;
        schedule(queue);
      }
    }
  }

  function remove(watcher: Watcher) {
    if (!watcher.open) return;
    watcher.open = false;
    watcherCount--;
    const queue = queues.get(watcher.queueId);
    if (!queue) return;
    queue.watchers.delete(watcher);
    if (queue.watchers.size) return;
    if (queue.timer) clearTimeout(queue.timer);
    queues.delete(queue.queueId);
    byChannel.delete(queue.channel);
    if (!closed) subscriber.unsubscribe(queue.channel).catch(fail);
  }

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const queue of queues.values())
        if (now - Math.max(queue.lastRunAt, queue.createdAt) >= refreshEveryMs) schedule(queue);
    },
    Math.min(refreshEveryMs, 1000),
  );
  sweeper.unref();

  return {
    /**
     * Watches a token whose placement is `current` (already sent): `onChange` gets each new
     * placement, or `null` once the token is no longer live (and is not called after that).
     * Returns the function that stops watching.
     */
    watch(queueId: string, ref: TokenRef, current: Placement, onChange: (placement: Placement | null) => void) {
      if (closed) throw new Error('the placement hub is closed');
      let queue = queues.get(queueId);
      if (!queue) {
        queue = {
          queueId,
          channel: opts.channelOf(queueId),
          watchers: new Set(),
          timer: undefined,
          running: false,
          again: false,
          changedAt: Date.now(),
          lastRunAt: 0,
          createdAt: Date.now(),
        };
        queues.set(queueId, queue);
        byChannel.set(queue.channel, queue);
        // A change published before the subscription took effect would otherwise wait for the
        // periodic re-read: read once more as soon as it is in place.
        const subscribed = queue;
        subscriber.subscribe(queue.channel).then(() => {
          if (queues.get(queueId) !== subscribed) return;
          subscribed.changedAt = Date.now();
          schedule(subscribed);
        }, fail);
      }
      const watcher: Watcher = {
        queueId,
        ref,
        onChange,
        last: JSON.stringify(current),
        lastStatus: current.status,
        lastSentAt: Date.now(),
        open: true,
      };
      queue.watchers.add(watcher);
      watcherCount++;
      return () => remove(watcher);
    },

    /** Watchers of this process, and the queues (= subscriptions) they need. */
    size: () => ({ watchers: watcherCount, queues: queues.size }),

    /** Every watcher's token, by queue (e.g. to mark them present). */
    *watched(): Generator<readonly [string, Iterable<string>]> {
      for (const queue of queues.values()) yield [queue.queueId, [...queue.watchers].map((w) => w.ref.userId)];
    },

    /** Stops everything: timers cleared, the subscriber connection closed. Watchers are not told. */
    async close() {
      closed = true;
      clearInterval(sweeper);
      for (const queue of queues.values()) if (queue.timer) clearTimeout(queue.timer);
      queues.clear();
      byChannel.clear();
      watcherCount = 0;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

export type PlacementHub = ReturnType<typeof createPlacementHub>;
