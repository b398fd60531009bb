import type { WaitingRoom } from './waiting-room.js';

type Sightings = Iterable<readonly [queueId: string, userIds: Iterable<string>]>;

/** Fans whose last write this process remembers, at most (then it forgets them and writes again). */
const REMEMBERED_MAX = 500_000;
/**
 * A fan written less than this share of abandonAfterSeconds ago is not written again. A fan who
 * keeps asking (at least every third of abandonAfterSeconds, see pollAfterSeconds) is then
 * written at least every 1/4 + 1/3 of it: never dropped, with room for clocks seconds apart.
 */
const REWRITE_SHARE = 1 / 4;

/**
 * Presence (for abandonment) batched per process: a poll calls `seen(queueId, userId)`, open
 * streams are a `source`, and every `flushMs` one script call per queue (per 1000 users) marks
 * everyone seen since the last flush, instead of a Redis round trip per poll. Only a cache of the last
 * moment's sightings: a crash loses at most one flush period of presence, far below the minimum
 * grace of 30 s. `flushMs` 0 switches presence off (to measure what it costs; fans are then
 * dropped after their grace even while polling).
 *
 * With `abandonAfterSecondsOf` (the queue's setting as this process last saw it), a fan this
 * process wrote within a quarter of it is not written again: presence then costs Redis about once
 * per fan and quarter grace, instead of once per poll (or per second for an open stream). Only a
 * successful write is remembered; forgetting (a restart, the memory's bound) only writes again.
 */
export function createPresenceRecorder(opts: {
  waitingRoom: Pick<WaitingRoom, 'markPresent'>;
  flushMs: number;
  abandonAfterSecondsOf?: (queueId: string) => number | undefined;
  onError?: (error: Error) => void;
}) {
  const pending = new Map<string, Set<string>>();
  const sources: (() => Sightings)[] = [];
  /** queue id → user id → when its presence was last written (Date.now() before the write). */
  const written = new Map<string, Map<string, number>>();
  let remembered = 0;
  let skipped = 0;
  let flushing: Promise<void> | undefined;
  const enabled = opts.flushMs > 0;

  const freshForMs = (queueId: string) => {
    const seconds = opts.abandonAfterSecondsOf?.(queueId);
    return seconds ? seconds * 1000 * REWRITE_SHARE : 0;
  };

  function remember(queueId: string, userIds: string[], at: number) {
    if (remembered + userIds.length > REMEMBERED_MAX) {
      written.clear();
      remembered = 0;
    }
    let users = written.get(queueId);
    if (!users) written.set(queueId, (users = new Map()));
    for (const userId of userIds) {
      if (!users.has(userId)) remembered++;
      users.set(userId, at);
    }
  }

  function seen(queueId: string, userId: string, now = Date.now(), freshMs = freshForMs(queueId)) {
    if (!enabled) return;
    if (freshMs > 0) {
      const at = written.get(queueId)?.get(userId);
      if (at !== undefined && now - at < freshMs) {
        skipped++;
        return;
      }
    }
    let users = pending.get(queueId);
    if (!users) pending.set(queueId, (users = new Set()));
    users.add(userId);
  }

  async function writeAll() {
    const now = Date.now();
    for (const source of sources)
      for (const [queueId, userIds] of source()) {
        const freshMs = freshForMs(queueId);
        for (const userId of userIds) seen(queueId, userId, now, freshMs);
      }
    if (!pending.size) return;
    const batch = [...pending];
    pending.clear();
    await Promise.all(
      batch.map(async ([queueId, users]) => {
        const userIds = [...users];
        try {
          await opts.waitingRoom.markPresent(queueId, userIds);
          if (freshForMs(queueId) > 0) remember(queueId, userIds, now);
        } catch (error) {
          opts.onError?.(error as Error);
        }
      }),
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
    /** Sightings not written because this process wrote the fan recently (for tests and the bench). */
    skippedCount: () => skipped,
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
