import { LRUCache } from 'lru-cache';
import {
  State,
  toPlacement,
  type LinePlacement,
  type Placement,
  type RawLineSnapshot,
  type WaitingRoom,
} from './waiting-room.js';
import type { TokenRef } from '@concert/contract';

/*
 * Polls that don't grow Redis work with the crowd.
 *
 * A poll used to be one script call per fan (a ZRANK and a few reads): one queue's shard then
 * serves ~50,000 polls a second, i.e. ~250,000 fans polling every 5 s. Here each gateway instance
 * reads, about twice a second and per queue it serves, one snapshot of the line (snapshot-9.lua):
 * the queue's view (status, rates, settings), the arrival numbers at the head and the tail, and a
 * bitmap with one bit per arrival number — set while that number is in line. A waiting fan's token
 * carries its arrival number (the token id is the number it got at join), so its position is the
 * number of set bits between the head and its own: counted here, without Redis.
 *
 * Correctness never rests on the snapshot: admission, one token per user, leave, revoke and
 * booking's checks all stay in Redis' scripts; the snapshot only answers "where am I" for fans it
 * can vouch for, and everybody else asks Redis:
 * - a fan whose bit is not set (admitted, left, revoked, dropped since — or who joined after the
 *   snapshot) asks Redis, which answers exactly (ACTIVE, or 401);
 * - a fan near the front (the exact zone) gets an exact rank with two plain commands (ZSCORE,
 *   ZRANK), so the places that change fastest are never stale;
 * - everybody else gets the position as of the snapshot, about `refreshMs` old. The exact zone
 *   is as deep as the line can have moved since the snapshot was taken, a hundred times over, so
 *   the error elsewhere stays under 1 %: |error| ≤ outflow per second × the snapshot's age ≤ 1 % ×
 *   position, where the outflow (admitted, left, dropped) is measured between snapshots and the
 *   age at the moment of the answer (a busy process that answers late widens the zone).
 * - a fan of an opened lobby gets its place in line from Redis once (the draw gave it a new
 *   arrival number, remembered here), then from snapshots.
 * - with no fresh snapshot (Redis unreachable, the first poll of a queue) every poll asks Redis
 *   (which then answers 503 fast when it is down).
 *
 * Presence (abandonment) is recorded by the caller as before, batched.
 */

/** Positions up to here are always exact (ZRANK), whatever the rate. */
const EXACT_ZONE_MIN = 1000;
/** The error bound the exact zone keeps beyond it: 1 %. */
const ERROR_BOUND = 0.01;
/** A queue nobody asked about for this long stops being refreshed (its snapshot is dropped). */
const IDLE_MS = 30_000;
/** Arrival numbers of fans placed by a lobby's draw (their token id is not their place in line). */
const DRAWN_ARRIVALS = 500_000;

/** 1-bits of every byte value. */
const BITS = new Uint8Array(256).map((_, byte) => {
  let bits = 0;
  for (let b = byte; b; b >>= 1) bits += b & 1;
  return bits;
});
/** Bytes per block of the prefix counts: a position costs at most this many lookups. */
const BLOCK = 32;

type LineSnapshot = RawLineSnapshot & {
  /** When this process received it (Date.now()). */
  receivedAt: number;
  /** Set bits in `line` before each block (prefix counts). */
  blockCounts: Uint32Array;
  /** First arrival number `line` covers (its first byte's first bit). */
  lineBase: number;
  lobbyBase: number;
  /** How fast fans leave the line (admitted, left, dropped), per second: a recent high. */
  outflowPerSecond: number;
  /** How long the snapshot took to arrive: it is at least this old when received. */
  roundTripMs: number;
};

type Decision = { answer: Placement } | { rank: { arrival: number; lobbyAhead: number } } | { ask: 'status' };

/** Whether bit `n` (an arrival number) is set in `bytes`, which starts at number `base`. */
function hasBit(bytes: Buffer, base: number, n: number): boolean {
  const offset = n - base;
  if (offset < 0) return false;
  const byte = offset >> 3;
  return byte < bytes.length && (bytes[byte]! & (0x80 >> (offset & 7))) !== 0;
}

/** Set bits of `line` from its start up to (not including) bit offset `offset`. */
function bitsBefore(snapshot: Pick<LineSnapshot, 'line' | 'blockCounts'>, offset: number): number {
  const byte = offset >> 3;
  const block = Math.floor(byte / BLOCK);
  let count = snapshot.blockCounts[block]!;
  for (let i = block * BLOCK; i < byte; i++) count += BITS[snapshot.line[i]!]!;
  const partial = offset & 7;
  if (partial) count += BITS[snapshot.line[byte]! & (0xff << (8 - partial)) & 0xff]!;
  return count;
}

const STALENESS_MARGIN_MS = 250;
/** How much of the last outflow measurement is still believed a second later (a decaying high). */
const OUTFLOW_MEMORY = 0.8;

function prepare(raw: RawLineSnapshot, previous: LineSnapshot | undefined, roundTripMs: number): LineSnapshot {
  const blocks = Math.ceil(raw.line.length / BLOCK) + 1;
  const blockCounts = new Uint32Array(blocks);
  let sum = 0;
  for (let block = 0; block < blocks - 1; block++) {
    blockCounts[block] = sum;
    const end = Math.min(raw.line.length, (block + 1) * BLOCK);
    for (let i = block * BLOCK; i < end; i++) sum += BITS[raw.line[i]!]!;
  }
  blockCounts[blocks - 1] = sum;
  const lineBase = raw.head >= 0 ? Math.floor(raw.head / 8) * 8 : 0;
  // The line moves by whatever leaves it from ahead: admissions, but also leaves and drops,
  // measured between snapshots by the queue's totals (which also count some that never moved it:
  // an active fan who leaves, a lobby fan dropped — erring on the exact side).
  let outflowPerSecond = raw.view.admissionsPerSecond;
  if (previous && raw.redisNowMs > previous.redisNowMs) {
    const seconds = (raw.redisNowMs - previous.redisNowMs) / 1000;
    const left = Math.max(0, raw.departures - previous.departures);
    const decay = OUTFLOW_MEMORY ** seconds;
    outflowPerSecond = Math.max(outflowPerSecond, left / seconds, previous.outflowPerSecond * decay);
  }
  // How old a snapshot can be when used, with a margin for bursts (a tick admits a batch at once).
  return {
    ...raw,
    receivedAt: Date.now(),
    blockCounts,
    lineBase,
    lobbyBase: raw.lobbyFrom >= 0 ? Math.floor(raw.lobbyFrom / 8) * 8 : 0,
    outflowPerSecond,
    roundTripMs,
  };
}

/**
 * How deep the exact zone is now: as far back as the line may have moved since the snapshot was
 * taken (its outflow times its age, with a margin for bursts — a tick admits a batch at once), a
 * hundred times over, so that beyond it that movement is under 1 % of a position.
 */
function exactZoneOf(snapshot: LineSnapshot, now: number, refreshMs: number): number {
  // Movement comes in bursts (a tick admits a batch), so a snapshot just received is treated as
  // already a whole period old.
  const sinceReceived = Math.max(now - snapshot.receivedAt, refreshMs);
  const ageSeconds = (sinceReceived + snapshot.roundTripMs + STALENESS_MARGIN_MS) / 1000;
  return Math.max(EXACT_ZONE_MIN, Math.ceil((snapshot.outflowPerSecond * ageSeconds) / ERROR_BOUND));
}

const withoutArrival = ({ arrival: _arrival, ...placement }: LinePlacement): Placement => placement;

/**
 * Placements of waiting fans answered from a per-process snapshot of each queue's line (see
 * above), falling back to Redis wherever the snapshot cannot vouch for the answer. `refreshMs` 0
 * turns snapshots off: every placement is read from Redis.
 */
export function createPlacementReader(opts: {
  waitingRoom: Pick<WaitingRoom, 'status' | 'statuses' | 'lineSnapshot' | 'ranksAt'>;
  refreshMs: number;
  onError?: (error: Error) => void;
}) {
  const { waitingRoom, refreshMs } = opts;
  type Watched = {
    snapshot?: LineSnapshot;
    /** When the request of `snapshot` was sent (Date.now()): it shows every change made before. */
    snapshotRequestedAt: number;
    timer?: NodeJS.Timeout;
    /** The refresh under way, and when it was sent. */
    inflight?: Promise<void>;
    inflightSentAt: number;
    usedAt: number;
    /** Tokens this process ended since (token id → when): a snapshot read before still shows them. */
    departed: Map<string, number>;
  };
  const queues = new Map<string, Watched>();
  /** token id → arrival number, for fans a draw placed (their token id is not their place). */
  const drawnArrivals = new LRUCache<string, number>({ max: DRAWN_ARRIVALS });
  let closed = false;
  const counts = { snapshots: 0, fromSnapshot: 0, exactRank: 0, fromRedis: 0 };

  /** Reads the queue's snapshot again (one read at a time: a caller during one gets that one). */
  function refresh(queueId: string, watched: Watched): Promise<void> {
    if (closed) return Promise.resolve();
    if (watched.inflight) return watched.inflight;
    if (Date.now() - watched.usedAt > IDLE_MS) {
      clearInterval(watched.timer);
      queues.delete(queueId);
      return Promise.resolve();
    }
    const started = Date.now();
    watched.inflightSentAt = started;
    watched.inflight = (async () => {
      try {
        const raw = await waitingRoom.lineSnapshot(queueId);
        watched.snapshot = raw ? prepare(raw, watched.snapshot, Date.now() - started) : undefined;
        watched.snapshotRequestedAt = started;
        counts.snapshots++;
        for (const [tokenId, at] of watched.departed) if (at < started) watched.departed.delete(tokenId);
      } catch (error) {
        // No snapshot is better than an old one: every poll asks Redis (and gets its 503) meanwhile.
        watched.snapshot = undefined;
        opts.onError?.(error as Error);
      } finally {
        watched.inflight = undefined;
      }
    })();
    return watched.inflight;
  }

  /** Waits for a snapshot of the queue read after `since` (when the caller learnt of a change). */
  async function freshSince(queueId: string, since: number) {
    const watched = queues.get(queueId);
    if (!watched || watched.snapshotRequestedAt >= since) return;
    if (watched.inflight && watched.inflightSentAt >= since) return watched.inflight;
    if (watched.inflight) await watched.inflight;
    if (watched.snapshotRequestedAt < since) await refresh(queueId, watched);
  }

  /** The queue's snapshot if it is fresh; starts keeping one for it otherwise. */
  function snapshotOf(queueId: string): LineSnapshot | undefined {
    if (refreshMs <= 0 || closed) return undefined;
    let watched = queues.get(queueId);
    const now = Date.now();
    if (!watched) {
      watched = { usedAt: now, departed: new Map(), snapshotRequestedAt: -Infinity, inflightSentAt: -Infinity };
      queues.set(queueId, watched);
      const entry = watched;
      entry.timer = setInterval(() => void refresh(queueId, entry), refreshMs);
      entry.timer.unref();
      void refresh(queueId, entry);
      return undefined;
    }
    watched.usedAt = now;
    const snapshot = watched.snapshot;
    // Two periods without a successful refresh: too old to vouch for anything.
    return snapshot && now - snapshot.receivedAt <= 2 * refreshMs + 250 ? snapshot : undefined;
  }

  function decide(snapshot: LineSnapshot | undefined, ref: TokenRef, departed?: Map<string, number>): Decision {
    const now = Date.now();
    if (departed?.has(ref.tokenId)) return { ask: 'status' };
    // Taken before an opening that is due by now: the draw may have placed anyone already.
    const opened = snapshot?.phase === 'lobby' && snapshot.view.opensAtMs !== null && snapshot.view.opensAtMs <= now;
    if (!snapshot || opened) return { ask: 'status' };
    const tokenNumber = Number(ref.tokenId);
    // In the lobby (before the opening, or opened and not placed yet): live while its bit is set.
    if (
      (snapshot.phase === 'lobby' || snapshot.phase === 'drawing') &&
      tokenNumber >= snapshot.lobbyFrom &&
      hasBit(snapshot.lobby, snapshot.lobbyBase, tokenNumber)
    ) {
      return { answer: toPlacement(State.LOBBY, 0, 0, snapshot.view, now, tokenNumber) };
    }
    if (snapshot.head < 0) return { ask: 'status' };
    const arrival = drawnArrivals.get(ref.tokenId) ?? tokenNumber;
    if (arrival < snapshot.head || arrival > snapshot.tail || !hasBit(snapshot.line, snapshot.lineBase, arrival)) {
      return { ask: 'status' }; // admitted, gone, joined since, or placed by a draw: Redis knows
    }
    const lobbyAhead = snapshot.phase === 'drawing' && arrival > snapshot.cursor ? snapshot.view.lobbyRemaining : 0;
    const position =
      bitsBefore(snapshot, arrival - snapshot.lineBase) - bitsBefore(snapshot, snapshot.head - snapshot.lineBase) + 1;
    if (position + lobbyAhead <= exactZoneOf(snapshot, now, refreshMs)) return { rank: { arrival, lobbyAhead } };
    return { answer: toPlacement(State.WAITING, position + lobbyAhead, 0, snapshot.view, now, tokenNumber) };
  }

  /** Remembers where a draw put a fan, from Redis' answer. */
  function learn(ref: TokenRef, placement: LinePlacement | null) {
    if (placement?.status === 'WAITING' && placement.arrival > 0 && String(placement.arrival) !== ref.tokenId) {
      drawnArrivals.set(ref.tokenId, placement.arrival);
    }
  }

  async function placements(
    queueId: string,
    refs: TokenRef[],
    opts: { changedAt?: number } = {},
  ): Promise<(Placement | null)[]> {
    if (opts.changedAt !== undefined) await freshSince(queueId, opts.changedAt);
    const snapshot = snapshotOf(queueId);
    const departed = queues.get(queueId)?.departed;
    const results: (Placement | null)[] = new Array(refs.length);
    const ranked: { index: number; arrival: number; lobbyAhead: number }[] = [];
    const asked: number[] = [];
    refs.forEach((ref, index) => {
      const decision = decide(snapshot, ref, departed);
      if ('answer' in decision) results[index] = decision.answer;
      else if ('rank' in decision) ranked.push({ index, ...decision.rank });
      else asked.push(index);
    });
    counts.fromSnapshot += refs.length - ranked.length - asked.length;
    counts.exactRank += ranked.length;

    if (ranked.length) {
      const ranks = await waitingRoom.ranksAt(
        queueId,
        ranked.map(({ index, arrival }) => ({ userId: refs[index]!.userId, arrival })),
      );
      ranked.forEach(({ index, lobbyAhead }, i) => {
        const rank = ranks[i];
        if (rank === null || rank === undefined) asked.push(index);
        else
          results[index] = toPlacement(
            State.WAITING,
            rank + 1 + lobbyAhead,
            0,
            snapshot!.view,
            Date.now(),
            Number(refs[index]!.tokenId),
          );
      });
    }
    if (asked.length) {
      counts.fromRedis += asked.length;
      const read =
        asked.length === 1
          ? [await waitingRoom.status(queueId, refs[asked[0]!]!)]
          : await waitingRoom.statuses(
              queueId,
              asked.map((index) => refs[index]!),
            );
      asked.forEach((index, i) => {
        learn(refs[index]!, read[i]!);
        results[index] = read[i] ? withoutArrival(read[i]!) : null;
      });
    }
    return results;
  }

  return {
    /** Where this token stands, or `null` once it is no longer live. */
    async placement(queueId: string, ref: TokenRef): Promise<Placement | null> {
      return (await placements(queueId, [ref]))[0]!;
    },
    /**
     * `placement` for many tokens of one queue (the event streams of this instance). With
     * `changedAt` (when the caller heard the line changed), from a snapshot read after it.
     */
    placements,
    /**
     * Tells the reader this process just ended the token (a leave, a revoke): until a snapshot
     * read after now arrives, its placement is read from Redis, so its holder sees it gone at once.
     */
    departed(queueId: string, tokenId: string) {
      const departed = queues.get(queueId)?.departed;
      if (departed && departed.size < DRAWN_ARRIVALS) departed.set(tokenId, Date.now());
    },
    /**
     * The queue's abandonAfterSeconds as of its last snapshot (undefined without one), so that
     * presence need not be written again for a fan recorded well within it.
     */
    abandonAfterSecondsOf(queueId: string): number | undefined {
      return queues.get(queueId)?.snapshot?.view.abandonAfterSeconds;
    },
    /** Snapshots read, and how placements were answered: from a snapshot, by an exact rank, by Redis. */
    counts: () => ({ ...counts }),
    /** Queues this process keeps snapshots of. */
    queues: () => [...queues.keys()],
    close() {
      closed = true;
      for (const watched of queues.values()) clearInterval(watched.timer);
      queues.clear();
    },
  };
}

export type PlacementReader = ReturnType<typeof createPlacementReader>;
