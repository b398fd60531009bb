import type { WaitingRoom } from './waiting-room.js';

type Sightings = Iterable<readonly [queueId: string, userIds: Iterable<string>]>;

/**
 * Presence (for abandonment) batched per process: a poll calls `seen(queueId, userId)`, open
 * streams are a `source`, and every `flushMs` one script call per queue (per 1000 users) marks
 * everyone seen since the last flush, instead of a Redis round trip per poll. Only a cache of the last
 * moment's sightings: a crash loses at most one flush period of presence, far below the minimum
 * grace of 30 s. `flushMs` 0 switches presence off (to measure what it costs; fans are then
 * dropped after their grace even while polling).
 */
export function createPresenceRecorder(opts: {
  waitingRoom: Pick<WaitingRoom, 'markPresent'>;
  flushMs: number;
  onError?: (error: Error) => void;
}) {
  const pending = new Map<string, Set<string>>();
  const sources: (() => Sightings)[] = [];
  let flushing: Promise<void> | undefined;
  const enabled = opts.flushMs > 0;

  function seen(queueId: string, userId: string) {
    if (!enabled) return;
    let users = pending.get(queueId);
    if (!users) pending.set(queueId, (users = new Set()));
    users.add(userId);
  }

  async function writeAll() {
    for (const source of sources)
      for (const [queueId, userIds] of source()) for (const userId of userIds) seen(queueId, userId);
    if (!pending.size) return;
    const batch = [...pending];
    pending.clear();
    await Promise.all(
      batch.map(([queueId, users]) =>
        opts.waitingRoom.markPresent(queueId, [...users]).catch((error: Error) => opts.onError?.(error)),
      ),
    );
  }

  /** Writes what was seen since the last flush (one flush at a time). */
  function flush(): Promise<void> {
    flushing ??= writeAll().finally(() => (flushing = undefined));
    return flushing;
  }

  const timer = enabled ? setInterval(() => void flush(), opts.flushMs) : undefined;
  timer?.unref();

  return {
    seen,
    /** Users to mark present at every flush, for as long as they are there (open streams). */
    addSource(source: () => Sightings) {
      if (enabled) sources.push(source);
    },
    flush,
    /** Users seen but not yet written (for tests and metrics). */
    pendingCount: () => [...pending.values()].reduce((sum, users) => sum + users.size, 0),
    /** Stops the timer and writes what is pending. */
    async close() {
      if (timer) clearInterval(timer);
      sources.length = 0;
      await flush();
    },
  };
}

export type PresenceRecorder = ReturnType<typeof createPresenceRecorder>;
