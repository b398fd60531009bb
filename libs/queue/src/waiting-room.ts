import type {
  Placement as PlacementView,
  QueueFigures as QueueFiguresView,
  QueueSettings as QueueSettingsView,
  QueueStatus,
} from '@concert/contract';
import type { RedisClient } from './redis.js';
import { queueKeys, queueRegistryKey } from './keys.js';
import { defineWaitingRoomCommands } from './scripts.js';

/** A queue's settings (the contract's, without the id). */
export type QueueSettings = Omit<QueueSettingsView, 'queueId'>;
/** A queue's public figures (the contract's, without the id). */
export type QueueFigures = Omit<QueueFiguresView, 'queueId'>;
export type TokenStatus = 'WAITING' | 'ACTIVE';

/** Where a live token stands (the contract's Placement, less the queue id). */
export type Placement = Omit<PlacementView, 'queueId'>;

/** What identifies one token of one user in one queue (the JWT's `sub`, `jti` and `iat`). */
export type TokenRef = { userId: string; tokenId: string; issuedAt: number };

export type JoinResult = Placement & { tokenId: string; issuedAt: number; isNew: boolean };

/** Reads a queue's durable settings (PostgreSQL), to restore a queue Redis has lost. */
export type QueueSettingsLoader = (queueId: string) => Promise<QueueSettings | null>;

const STATUS: Record<number, TokenStatus> = { 1: 'WAITING', 2: 'ACTIVE' };

/** Failures the scripts return as negative integers (the BullMQ convention), named once here. */
const ScriptFailure = {
  /** join, figures: the queue has no settings in Redis (never configured, or Redis lost it). */
  QUEUE_NOT_FOUND: -1,
} as const;

/** How long "no such queue" is remembered per process, so unknown ids cannot hammer PostgreSQL. */
const UNKNOWN_QUEUE_TTL_MS = 5000;

/**
 * ETA of a waiting user, in seconds: `position / rate` where `rate` is the queue's measured
 * admissions per second over the last minute (kept by the worker's tick). Before there is any
 * history, the line moves at worst one `maxActive`-sized batch per `activeTtlSeconds`:
 * `ceil(position / maxActive) * activeTtlSeconds`.
 */
export function estimateWaitSeconds(
  position: number,
  queue: { maxActive: number; activeTtlSeconds: number; admissionsPerSecond: number },
): number {
  if (queue.admissionsPerSecond > 0) return Math.ceil(position / queue.admissionsPerSecond);
  return Math.ceil(position / Math.max(queue.maxActive, 1)) * queue.activeTtlSeconds;
}

/**
 * When a fan should ask again: every couple of seconds near the front, up to 30 s far back
 * (a tenth of the expected wait), so a long line does not poll as hard as a short one.
 */
export function pollAfterSeconds(placement: { status: TokenStatus; etaSeconds: number | null }): number {
  if (placement.status === 'ACTIVE') return 30;
  return Math.min(30, Math.max(2, Math.ceil((placement.etaSeconds ?? 0) / 10)));
}

function placement(state: number, position: number, activeUntilMs: number, eta: unknown[]): Placement {
  const status = STATUS[state]!;
  const [maxActive, activeTtlSeconds, rate, paused] = eta as [number, number, string, number];
  const queueStatus: QueueStatus = paused === 1 ? 'PAUSED' : 'OPEN';
  if (status === 'ACTIVE') {
    return {
      status,
      position: null,
      etaSeconds: null,
      activeUntil: new Date(activeUntilMs).toISOString(),
      queueStatus,
      opensAt: null,
      pollAfterSeconds: pollAfterSeconds({ status, etaSeconds: null }),
    };
  }
  const etaSeconds = estimateWaitSeconds(position, { maxActive, activeTtlSeconds, admissionsPerSecond: Number(rate) });
  return {
    status,
    position,
    etaSeconds,
    activeUntil: null,
    queueStatus,
    opensAt: null,
    pollAfterSeconds: pollAfterSeconds({ status, etaSeconds }),
  };
}

/** How Redis stores a token's identity: "<tokenId>:<iat>" in base 36 (see includes/admission.lua). */
const refString = (ref: TokenRef) => `${Number(ref.tokenId).toString(36)}:${ref.issuedAt.toString(36)}`;
const parseRef = (ref: string) => {
  const [tokenId, issuedAt] = ref.split(':');
  return { tokenId: String(parseInt(tokenId!, 36)), issuedAt: parseInt(issuedAt!, 36) };
};

/**
 * The waiting room's state, all of it in Redis; shared by the gateway (join, poll, leave,
 * settings), booking (is this token active? expire it after payment) and the worker (ticks).
 * Every operation is one atomic script of one queue: safe with any number of instances.
 *
 * With `loadSettings`, a queue Redis does not know (it restarted empty, or failed over to an empty
 * replica) is copied back from its durable settings the first time it is needed.
 */
export function createWaitingRoom(opts: { redis: RedisClient; prefix: string; loadSettings?: QueueSettingsLoader }) {
  const redis = defineWaitingRoomCommands(opts.redis);
  const keysOf = (queueId: string) => queueKeys(opts.prefix, queueId);
  const queueScriptKeys = (queueId: string) => {
    const k = keysOf(queueId);
    return [k.settings, k.waiting, k.active, k.users, k.stats, k.seq];
  };
  const unknownUntil = new Map<string, number>();

  async function configure(queueId: string, settings: QueueSettings): Promise<{ created: boolean }> {
    const created = await redis.wrConfigure(
      keysOf(queueId).settings,
      settings.maxActive,
      settings.activeTtlSeconds,
      settings.paused ? '1' : '0',
      settings.admitPerMinute ?? '',
      settings.opensAt ? Date.parse(settings.opensAt) : '',
      settings.abandonAfterSeconds,
      settings.maxActivePerSeat ?? '',
    );
    await redis.sadd(queueRegistryKey(opts.prefix), queueId);
    unknownUntil.delete(queueId);
    return { created: created === 1 };
  }

  /** Copies a queue Redis lacks back from its durable settings; false when it has none. */
  async function restore(queueId: string): Promise<boolean> {
    if (!opts.loadSettings || (unknownUntil.get(queueId) ?? 0) > Date.now()) return false;
    const settings = await opts.loadSettings(queueId);
    if (!settings) {
      if (unknownUntil.size > 10_000) unknownUntil.clear();
      unknownUntil.set(queueId, Date.now() + UNKNOWN_QUEUE_TTL_MS);
      return false;
    }
    await configure(queueId, settings);
    return true;
  }

  /** Runs a script of a queue; if Redis does not know the queue, restores it once and runs it again. */
  async function withQueue<T>(queueId: string, run: () => Promise<T>): Promise<T | null> {
    const reply = await run();
    if (reply !== ScriptFailure.QUEUE_NOT_FOUND) return reply;
    if (!(await restore(queueId))) return null;
    const again = await run();
    return again === ScriptFailure.QUEUE_NOT_FOUND ? null : again;
  }

  return {
    /** Stores a queue's settings (as saved durably) and registers it for the worker's ticks. */
    configure,

    /** Restores every queue given that Redis does not know; returns the ids restored. */
    async restoreMissing(all: { queueId: string; settings: QueueSettings }[]): Promise<string[]> {
      if (!all.length) return [];
      const exists = await Promise.all(all.map(({ queueId }) => redis.exists(keysOf(queueId).settings)));
      const missing = all.filter((_, i) => exists[i] === 0);
      for (const { queueId, settings } of missing) await configure(queueId, settings);
      return missing.map(({ queueId }) => queueId);
    },

    async figures(queueId: string): Promise<QueueFigures | null> {
      const k = keysOf(queueId);
      const reply = await withQueue(queueId, () => redis.wrFigures(k.settings, k.waiting, k.active));
      if (reply === null) return null;
      const [waiting, active, maxActive, paused] = reply as number[];
      return {
        queueStatus: paused === 1 ? 'PAUSED' : 'OPEN',
        waiting: waiting!,
        lobby: 0,
        active: active!,
        maxActive: maxActive!,
        paused: paused === 1,
        admitPerMinute: null,
        admittedLastMinute: 0,
        opensAt: null,
        shuffleCommitment: null,
        shuffleSeed: null,
      };
    },

    /** A place in line for this user, or the live token they already hold. `null`: no such queue. */
    async join(queueId: string, userId: string): Promise<JoinResult | null> {
      const reply = await withQueue(queueId, () => redis.wrJoin(...queueScriptKeys(queueId), userId));
      if (reply === null) return null;
      const [state, ref, position, activeUntilMs, isNew, ...eta] = reply as [number, string, number, number, number];
      return {
        ...placement(state, position, activeUntilMs, eta),
        ...parseRef(ref),
        isNew: isNew === 1,
      };
    },

    /** Where this token stands, or `null` when it is no longer live. One round trip, read-only. */
    async status(queueId: string, ref: TokenRef): Promise<Placement | null> {
      const k = keysOf(queueId);
      const reply = (await redis.wrStatus(
        k.settings,
        k.waiting,
        k.active,
        k.users,
        k.stats,
        ref.userId,
        refString(ref),
      )) as [number, ...unknown[]];
      if (reply[0] === 0) return null;
      const [state, position, activeUntilMs, ...eta] = reply as [number, number, number];
      return placement(state, position, activeUntilMs, eta);
    },

    /**
     * Ends a live token (left, or paid) and frees its place; a freed active slot goes to the head
     * of the line at once. `removed` is false when the token was not live.
     */
    async remove(queueId: string, ref: TokenRef): Promise<{ removed: boolean; admitted: number }> {
      const [removed, admitted] = (await redis.wrRemove(
        ...queueScriptKeys(queueId),
        ref.userId,
        refString(ref),
      )) as number[];
      return { removed: removed === 1, admitted: admitted! };
    },

    /** Ends whatever live token `userId` holds in the queue (an operator's revoke); false if none. */
    async revoke(queueId: string, userId: string): Promise<boolean> {
      const ref = await redis.hget(keysOf(queueId).users, userId);
      if (!ref) return false;
      // The script re-checks the reference, so a token replaced meanwhile is left alone.
      const [removed] = (await redis.wrRemove(...queueScriptKeys(queueId), userId, ref)) as number[];
      return removed === 1;
    },

    /** One admission tick of one queue: expire active tokens, admit up to maxActive, refresh the rate. */
    async tick(queueId: string, maxExpiredPerTick = 10_000): Promise<{ admitted: number; expired: number }> {
      const k = keysOf(queueId);
      const [admitted, expired] = (await redis.wrTick(
        ...queueScriptKeys(queueId),
        k.samples,
        maxExpiredPerTick,
      )) as number[];
      return { admitted: admitted!, expired: expired! };
    },

    /** Forgets waiting tokens past their hard expiry; returns how many (at most `batch`). */
    async sweep(queueId: string, opts: { tokenTtlSeconds: number; batch?: number }): Promise<number> {
      const k = keysOf(queueId);
      return (await redis.wrSweep(
        k.waiting,
        k.users,
        k.stats,
        k.seq,
        k.marks,
        opts.tokenTtlSeconds * 1000,
        opts.batch ?? 1000,
      )) as number;
    },

    /** Every queue Redis knows. */
    async queueIds(): Promise<string[]> {
      return redis.smembers(queueRegistryKey(opts.prefix));
    },
  };
}

export type WaitingRoom = ReturnType<typeof createWaitingRoom>;
