import type { RedisClient } from './redis.js';
import { queueKeys, queueRegistryKey } from './keys.js';
import { defineWaitingRoomCommands } from './scripts.js';

export type QueueSettings = { maxActive: number; activeTtlSeconds: number; paused: boolean };
export type QueueFigures = { waiting: number; active: number; maxActive: number; paused: boolean };
export type TokenStatus = 'WAITING' | 'ACTIVE';

/** Where a live token stands. `position`/`etaSeconds` while waiting, `activeUntil` while active. */
export type Placement = {
  status: TokenStatus;
  position: number | null;
  etaSeconds: number | null;
  activeUntil: Date | null;
};

/** What identifies one token of one user in one queue (the JWT's `sub`, `jti` and `iat`). */
export type TokenRef = { userId: string; tokenId: string; issuedAt: number };

export type JoinResult = Placement & { tokenId: string; issuedAt: number; isNew: boolean };

const STATUS: Record<number, TokenStatus> = { 1: 'WAITING', 2: 'ACTIVE' };

/** Failures the scripts return as negative integers (the BullMQ convention), named once here. */
const ScriptFailure = {
  /** join, figures: the queue has no settings, i.e. was never configured. */
  QUEUE_NOT_FOUND: -1,
} as const;

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

function placement(state: number, position: number, activeUntilMs: number, eta: unknown[]): Placement {
  const status = STATUS[state]!;
  if (status === 'ACTIVE') return { status, position: null, etaSeconds: null, activeUntil: new Date(activeUntilMs) };
  const [maxActive, activeTtlSeconds, rate] = eta as [number, number, string];
  const etaSeconds = estimateWaitSeconds(position, { maxActive, activeTtlSeconds, admissionsPerSecond: Number(rate) });
  return { status, position, etaSeconds, activeUntil: null };
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
 */
export function createWaitingRoom(opts: {
  redis: RedisClient;
  prefix: string;
  defaults: { maxActive: number; activeTtlSeconds: number };
}) {
  const redis = defineWaitingRoomCommands(opts.redis);
  const keysOf = (queueId: string) => queueKeys(opts.prefix, queueId);
  const queueScriptKeys = (queueId: string) => {
    const k = keysOf(queueId);
    return [k.settings, k.waiting, k.active, k.users, k.stats, k.seq];
  };

  return {
    /**
     * Creates the queue (missing settings take the defaults) or changes the given settings, in one
     * script; `configure(id, {})` only makes sure the queue exists. Registers it for the worker's ticks.
     */
    async configure(queueId: string, changes: Partial<QueueSettings>): Promise<QueueSettings & { created: boolean }> {
      const [maxActive, activeTtlSeconds, paused, created] = (await redis.wrConfigure(
        keysOf(queueId).settings,
        changes.maxActive ?? '',
        changes.activeTtlSeconds ?? '',
        changes.paused === undefined ? '' : changes.paused ? '1' : '0',
        opts.defaults.maxActive,
        opts.defaults.activeTtlSeconds,
      )) as number[];
      await redis.sadd(queueRegistryKey(opts.prefix), queueId);
      return {
        maxActive: maxActive!,
        activeTtlSeconds: activeTtlSeconds!,
        paused: paused === 1,
        created: created === 1,
      };
    },

    async figures(queueId: string): Promise<QueueFigures | null> {
      const k = keysOf(queueId);
      const reply = await redis.wrFigures(k.settings, k.waiting, k.active);
      if (reply === ScriptFailure.QUEUE_NOT_FOUND) return null;
      const [waiting, active, maxActive, paused] = reply as number[];
      return { waiting: waiting!, active: active!, maxActive: maxActive!, paused: paused === 1 };
    },

    /** A place in line for this user, or the live token they already hold. `null`: no such queue. */
    async join(queueId: string, userId: string): Promise<JoinResult | null> {
      const reply = await redis.wrJoin(...queueScriptKeys(queueId), userId);
      if (reply === ScriptFailure.QUEUE_NOT_FOUND) return null;
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

    /** Every configured queue id. */
    async queueIds(): Promise<string[]> {
      return redis.smembers(queueRegistryKey(opts.prefix));
    },
  };
}

export type WaitingRoom = ReturnType<typeof createWaitingRoom>;
