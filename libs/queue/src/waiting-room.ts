import type {
  Placement as PlacementView,
  QueueFigures as QueueFiguresView,
  QueueSettings as QueueSettingsView,
  QueueStatus,
  TokenStatus,
  TokenRef,
} from '@concert/contract';
import type { RedisClient } from './redis.js';
import { queueKeys, queueRegistryKey } from './keys.js';
import { defineWaitingRoomCommands } from './scripts.js';
import { drawCommitment, drawKey, newDrawSeed } from './draw.js';

/** A queue's settings (the contract's, without the id). */
export type QueueSettings = Omit<QueueSettingsView, 'queueId'>;
/**
 * Settings as stored durably, with the lobby draw's seed when an opening is (or was) set: the
 * seed survives a Redis loss, so the commitment published before the opening stays true.
 */
export type StoredQueueSettings = QueueSettings & { drawSeed?: string | null };
/** A queue's public figures (the contract's, without the id). */
export type QueueFigures = Omit<QueueFiguresView, 'queueId'>;
/** Figures only operators see, besides the public ones. */
export type QueueOverviewFigures = QueueFigures & {
  seatsLeft: number | null;
  admittedTotal: number;
  abandonedTotal: number;
};

/** Where a live token stands (the contract's Placement, less the queue id). */
export type Placement = Omit<PlacementView, 'queueId'>;

/** A placement read from Redis, with the fan's arrival number in line (0 unless waiting). */
export type LinePlacement = Placement & { arrival: number };

/** What snapshot-9.lua returns, parsed (see line-snapshot.ts for what it is for). */
export type RawLineSnapshot = {
  redisNowMs: number;
  view: QueueView;
  /** Fans in line. */
  waiting: number;
  /** Admissions, leaves, revokes and drops so far (a total: what moves the line, and some more). */
  departures: number;
  /** Arrival numbers of the first and last fan in line; -1 when nobody waits. */
  head: number;
  tail: number;
  phase: '' | 'lobby' | 'drawing' | 'open';
  /** The last arrival number placed while the lobby is drawn (-1 outside the draw). */
  cursor: number;
  /** The first token number of the current lobby (-1 if none), and the last token number given. */
  lobbyFrom: number;
  lastToken: number;
  /** lineBits from the byte holding `head` to the one holding `tail`. */
  line: Buffer;
  /** lobbyBits from the byte holding `lobbyFrom` to the one holding `lastToken` (in the lobby or draw). */
  lobby: Buffer;
};

export type JoinResult = Placement & { tokenId: string; issuedAt: number; isNew: boolean };

/** Reads a queue's durable settings (PostgreSQL), to restore a queue Redis has lost. */
export type QueueSettingsLoader = (queueId: string) => Promise<StoredQueueSettings | null>;

/** Totals of one queue since it was created, counted by the scripts whatever made them happen. */
export type QueueTotals = {
  joined: number;
  admitted: number;
  expired: number;
  abandoned: number;
  revoked: number;
  left: number;
  paid: number;
  openings: number;
};
const TOTALS = ['joined', 'admitted', 'expired', 'abandoned', 'revoked', 'left', 'paid', 'openings'] as const;

/** Why a token ended, for the totals: its holder left, paid (booking says so), or was revoked. */
export type RemovalReason = 'left' | 'paid' | 'revoked';

/** What a placement needs besides the user's own state (see queueView in includes/admission.lua). */
export type QueueView = {
  queueStatus: QueueStatus;
  maxActive: number;
  /** maxActive, or fewer when the seat cap is lower. */
  activeCap: number;
  activeTtlSeconds: number;
  /** Measured over the last minute; 0 when there is no recent measurement. */
  admissionsPerSecond: number;
  opensAtMs: number | null;
  abandonAfterSeconds: number;
  admitPerMinute: number | null;
  /** Fans of an opened lobby not yet placed in line (0 outside the draw). */
  lobbyRemaining: number;
};
export const QUEUE_VIEW_LENGTH = 9;

/** Parses the queue view a script returns (numbers, or Buffers from a `...Buffer` command). */
export function queueViewOf(values: unknown[]): QueueView {
  const [
    queueStatus,
    maxActive,
    activeCap,
    activeTtlSeconds,
    rate,
    opensAtMs,
    abandonAfterSeconds,
    admitPerMinute,
    lobby,
  ] = values.map((value) => (Buffer.isBuffer(value) ? value.toString() : value)) as [
    QueueStatus,
    number,
    number,
    number,
    string,
    number,
    number,
    number,
    number,
  ];
  return {
    queueStatus,
    maxActive,
    activeCap,
    activeTtlSeconds,
    admissionsPerSecond: Number(rate),
    opensAtMs: opensAtMs >= 0 ? opensAtMs : null,
    abandonAfterSeconds,
    admitPerMinute: admitPerMinute > 0 ? admitPerMinute : null,
    lobbyRemaining: lobby,
  };
}

/** Per-user states the scripts return. */
export const State = { GONE: 0, WAITING: 1, ACTIVE: 2, LOBBY: 3 } as const;

/** Failures the scripts return as negative integers (the BullMQ convention), named once here. */
const ScriptFailure = {
  /** join, figures: the queue has no settings in Redis (never configured, or Redis lost it). */
  QUEUE_NOT_FOUND: -1,
  /** join: the user goes to the lobby, and the lobby entry sent was missing or of another seed. */
  DRAW_UNKNOWN: -2,
} as const;

/** How long "no such queue" is remembered per process, so unknown ids cannot hammer PostgreSQL. */
const UNKNOWN_QUEUE_TTL_MS = 5000;
/** Tokens per `statuses` call: bounded work per script. */
const STATUS_BATCH = 500;
/** Fans the abandonment walk looks at per script call, and calls per tick (so 20,000 fans a tick). */
const ABANDON_BATCH = 5000;
const ABANDON_CALLS_PER_TICK = 4;

/**
 * ETA of a waiting user, in seconds: `position / rate` where `rate` is the queue's measured
 * admissions per second over the last minute (kept by the worker's tick). Before there is any,
 * the line moves at worst one batch of `maxActive` (or the seat cap) per `activeTtlSeconds`, and
 * never faster than `admitPerMinute`.
 */
export function estimateWaitSeconds(
  position: number,
  queue: { maxActive: number; activeTtlSeconds: number; admissionsPerSecond: number; admitPerMinute?: number | null },
): number {
  if (queue.admissionsPerSecond > 0) return Math.ceil(position / queue.admissionsPerSecond);
  const byCapacity = Math.ceil(position / Math.max(queue.maxActive, 1)) * queue.activeTtlSeconds;
  const byRate = queue.admitPerMinute ? Math.ceil((position * 60) / queue.admitPerMinute) : 0;
  return Math.max(byCapacity, byRate);
}

/** Seconds a fan without a position yet waits past the moment it asks for (see pollAfterSeconds). */
const SPREAD_SECONDS = 5;

/**
 * When a fan should ask again: every second or two near the front, up to 30 s far back (a tenth
 * of the expected wait); in the lobby, at the opening; never so late that a fan who follows it
 * would be dropped as absent (a third of `abandonAfterSeconds` at most). Fans without a position
 * (the lobby, or an opened lobby not yet placed) are spread over a few seconds by `spread`
 * (0..1, stable per fan): the whole lobby is told the same moment, and nobody gains by being
 * first — the order is drawn.
 */
export function pollAfterSeconds(
  placement: Pick<Placement, 'status' | 'position' | 'etaSeconds' | 'queueStatus'>,
  abandonAfterSeconds = 300,
  spread = 0,
): number {
  const longest = Math.max(1, Math.min(30, Math.floor(abandonAfterSeconds / 3)));
  const clamp = (seconds: number) => Math.max(1, Math.min(longest, seconds));
  if (placement.status === 'ACTIVE') return longest;
  if (placement.position === null) {
    const later = Math.floor(spread * SPREAD_SECONDS);
    // The lobby: at the opening; an opened lobby being placed: in a few seconds.
    return clamp((placement.queueStatus === 'LOBBY' ? (placement.etaSeconds ?? 1) : 2) + later);
  }
  if (placement.queueStatus === 'PAUSED' || placement.queueStatus === 'SOLD_OUT') return longest;
  if (placement.position <= 5) return 1;
  return clamp(Math.max(2, Math.ceil((placement.etaSeconds ?? 0) / 10)));
}

/** A fan's stable share of the spread (pollAfterSeconds), from its token number. */
const spreadOf = (tokenNumber: number) => (Math.imul(tokenNumber | 0, 2654435761) >>> 0) / 2 ** 32;

/**
 * A placement from a fan's state (State), its position in line (when waiting), its active time's
 * end (when active), the queue's view and the fan's token number.
 */
export function toPlacement(
  state: number,
  position: number,
  activeUntilMs: number,
  view: QueueView,
  now: number,
  tokenNumber = 0,
): Placement {
  const opensAt = view.opensAtMs !== null ? new Date(view.opensAtMs).toISOString() : null;
  const untilOpening = view.opensAtMs !== null ? Math.max(0, Math.ceil((view.opensAtMs - now) / 1000)) : 0;
  let where: Omit<Placement, 'pollAfterSeconds'>;
  if (state === State.ACTIVE) {
    where = {
      status: 'ACTIVE',
      position: null,
      etaSeconds: null,
      activeUntil: new Date(activeUntilMs).toISOString(),
      queueStatus: view.queueStatus,
      opensAt,
    };
  } else if (state === State.LOBBY && view.queueStatus === 'LOBBY') {
    // In the lobby: no position until the draw at the opening.
    where = {
      status: 'WAITING',
      position: null,
      etaSeconds: untilOpening,
      activeUntil: null,
      queueStatus: 'LOBBY',
      opensAt,
    };
  } else if (state === State.LOBBY) {
    // The lobby has opened and is being put in line: no position yet, and on average half the
    // fans still to be placed will be ahead.
    const wait = estimateWaitSeconds(Math.max(1, Math.ceil(view.lobbyRemaining / 2)), {
      maxActive: view.activeCap,
      activeTtlSeconds: view.activeTtlSeconds,
      admissionsPerSecond: view.admissionsPerSecond,
      admitPerMinute: view.admitPerMinute,
    });
    where = {
      status: 'WAITING',
      position: null,
      etaSeconds: wait,
      activeUntil: null,
      queueStatus: view.queueStatus,
      opensAt,
    };
  } else {
    const wait = estimateWaitSeconds(position, {
      maxActive: view.activeCap,
      activeTtlSeconds: view.activeTtlSeconds,
      admissionsPerSecond: view.admissionsPerSecond,
      admitPerMinute: view.admitPerMinute,
    });
    const etaSeconds = (view.queueStatus === 'LOBBY' ? untilOpening : 0) + wait;
    where = { status: 'WAITING', position, etaSeconds, activeUntil: null, queueStatus: view.queueStatus, opensAt };
  }
  return { ...where, pollAfterSeconds: pollAfterSeconds(where, view.abandonAfterSeconds, spreadOf(tokenNumber)) };
}

/** How Redis stores a token's identity: "<tokenId>:<iat>" in base 36 (see includes/admission.lua). */
const refString = (ref: Pick<TokenRef, 'tokenId' | 'issuedAt'>) =>
  `${Number(ref.tokenId).toString(36)}:${ref.issuedAt.toString(36)}`;
const parseRef = (ref: string) => {
  const [tokenId, issuedAt] = ref.split(':');
  return { tokenId: String(parseInt(tokenId!, 36)), issuedAt: parseInt(issuedAt!, 36) };
};

const numberOr = (value: string | null | undefined, fallback = 0) => (value ? Number(value) : fallback);

/**
 * The waiting room's state, all of it in Redis; shared by the gateway (join, poll, push, leave,
 * settings), booking (is this token active? end it after payment) and the worker (ticks). Every
 * operation is one atomic script of one queue: safe with any number of instances.
 *
 * With `loadSettings`, a queue Redis does not know (it restarted empty, or failed over to an empty
 * replica) is copied back from its durable settings the first time it is needed.
 */
export function createWaitingRoom(opts: { redis: RedisClient; prefix: string; loadSettings?: QueueSettingsLoader }) {
  const redis = defineWaitingRoomCommands(opts.redis);
  const keysOf = (queueId: string) => queueKeys(opts.prefix, queueId);
  /** The keys of every script that changes a queue (see the scripts' headers), in order. */
  const writeKeys = (queueId: string) => {
    const k = keysOf(queueId);
    return [
      k.settings,
      k.waiting,
      k.active,
      k.users,
      k.stats,
      k.seq,
      k.lobby,
      k.draw,
      k.minute,
      k.seats,
      k.lineBits,
      k.lobbyBits,
    ];
  };
  const readKeys = (queueId: string) => {
    const k = keysOf(queueId);
    return [k.settings, k.waiting, k.active, k.users, k.stats, k.draw, k.seats];
  };
  const unknownUntil = new Map<string, number>();
  /**
   * The secret seed of queues in their lobby, as this process last read it: joiners' lobby entries
   * are keyed by HMAC(seed, userId), which Lua cannot compute. Only a cache: the join script
   * refuses an entry of another seed, and the seed is then read again.
   */
  const lobbySeeds = new Map<string, { seed: Buffer; commitment: string }>();

  async function configure(
    queueId: string,
    settings: StoredQueueSettings,
    mode: { restore?: boolean } = {},
  ): Promise<{ created: boolean }> {
    const opensAtMs = settings.opensAt ? Date.parse(settings.opensAt) : null;
    // Callers that store settings durably pass the durable seed; others (tools, tests) get one
    // that lives in Redis only.
    const seed = settings.drawSeed ?? (opensAtMs !== null && opensAtMs > Date.now() ? newDrawSeed() : null);
    const created = await redis.wrConfigure(
      ...writeKeys(queueId),
      settings.maxActive,
      settings.activeTtlSeconds,
      settings.paused ? '1' : '0',
      settings.admitPerMinute ?? '',
      opensAtMs ?? '',
      settings.abandonAfterSeconds,
      settings.maxActivePerSeat ?? '',
      seed ?? '',
      seed ? drawCommitment(seed) : '',
      keysOf(queueId).events,
      mode.restore ? '1' : '0',
    );
    await redis.sadd(queueRegistryKey(opts.prefix), queueId);
    unknownUntil.delete(queueId);
    lobbySeeds.delete(queueId);
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
    await configure(queueId, settings, { restore: true });
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

  async function readLobbySeed(queueId: string) {
    const [phase, seed, commitment] = await redis.hmget(keysOf(queueId).draw, 'phase', 'seed', 'commitment');
    if (phase === 'lobby' && seed && commitment) {
      lobbySeeds.set(queueId, { seed: Buffer.from(seed, 'hex'), commitment });
    } else lobbySeeds.delete(queueId);
  }

  function joinOnce(queueId: string, userId: string) {
    const lobby = lobbySeeds.get(queueId);
    const entry = lobby ? Buffer.concat([drawKey(lobby.seed, userId), Buffer.from(userId, 'utf8')]) : '';
    return redis.wrJoin(...writeKeys(queueId), userId, entry, lobby?.commitment ?? '', keysOf(queueId).events);
  }

  async function dropAbandoned(queueId: string, limit = ABANDON_BATCH) {
    const [dropped, lookedAt, opened, complete] = (await redis.wrAbandon(
      ...writeKeys(queueId),
      limit,
      keysOf(queueId).events,
    )) as number[];
    return { dropped: dropped!, lookedAt: lookedAt!, opened: opened === 1, complete: complete === 1 };
  }

  async function placeLobby(queueId: string, limit = 2000) {
    const [placed, remaining, admitted, opened] = (await redis.wrPlace(
      ...writeKeys(queueId),
      limit,
      keysOf(queueId).events,
    )) as number[];
    return { placed: placed!, remaining: remaining!, admitted: admitted!, opened: opened === 1 };
  }

  function parseStatuses(reply: unknown[], refs: TokenRef[], now: number): (LinePlacement | null)[] {
    const view = queueViewOf(reply.slice(0, QUEUE_VIEW_LENGTH));
    return refs.map((ref, i) => {
      const at = QUEUE_VIEW_LENGTH + 4 * i;
      const [state, position, activeUntilMs, arrival] = reply.slice(at, at + 4) as [number, number, number, number];
      if (state === State.GONE) return null;
      return { ...toPlacement(state, position, activeUntilMs, view, now, Number(ref.tokenId)), arrival };
    });
  }

  return {
    /**
     * Stores a queue's settings (as saved durably, with the durable draw seed when there is one)
     * and registers it for the worker's ticks. With `restore`, only if Redis lacks the queue.
     */
    configure,

    /**
     * Restores every queue given that Redis does not know; returns the ids restored. `drawSeedOf`
     * gives a queue's durable draw seed.
     */
    async restoreMissing(
      all: { queueId: string; settings: StoredQueueSettings }[],
      drawSeedOf?: (queueId: string) => Promise<string | null>,
    ): Promise<string[]> {
      if (!all.length) return [];
      const exists = await Promise.all(all.map(({ queueId }) => redis.exists(keysOf(queueId).settings)));
      const missing = all.filter((_, i) => exists[i] === 0);
      for (const { queueId, settings } of missing) {
        const drawSeed = settings.drawSeed ?? (drawSeedOf ? await drawSeedOf(queueId) : null);
        await configure(queueId, { ...settings, drawSeed }, { restore: true });
      }
      return missing.map(({ queueId }) => queueId);
    },

    /** Public figures of a queue, and the operators' extras. `null`: no such queue. */
    async figures(queueId: string): Promise<QueueOverviewFigures | null> {
      const k = keysOf(queueId);
      const reply = await withQueue(queueId, () =>
        redis.wrFigures(k.settings, k.waiting, k.active, k.stats, k.draw, k.minute, k.seats),
      );
      if (reply === null) return null;
      const [
        queueStatus,
        waiting,
        lobby,
        active,
        maxActive,
        paused,
        admitPerMinute,
        admittedLastMinute,
        opensAtMs,
        commitment,
        seed,
        seatsLeft,
        admittedTotal,
        abandonedTotal,
      ] = reply as [
        QueueStatus,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        string,
        string,
        number,
        number,
        number,
      ];
      return {
        queueStatus,
        waiting,
        lobby,
        active,
        maxActive,
        paused: paused === 1,
        admitPerMinute: admitPerMinute > 0 ? admitPerMinute : null,
        admittedLastMinute,
        opensAt: opensAtMs >= 0 ? new Date(opensAtMs).toISOString() : null,
        shuffleCommitment: commitment || null,
        shuffleSeed: seed || null,
        seatsLeft: seatsLeft >= 0 ? seatsLeft : null,
        admittedTotal,
        abandonedTotal,
      };
    },

    /** Totals of a queue (one HMGET): cheap enough to read on every metrics scrape. */
    async totals(queueId: string): Promise<QueueTotals> {
      const values = await redis.hmget(keysOf(queueId).stats, ...TOTALS);
      return Object.fromEntries(TOTALS.map((name, i) => [name, numberOr(values[i])])) as QueueTotals;
    },

    /**
     * A place in line (or in the lobby before the opening) for this user, or the live token they
     * already hold. `null`: no such queue.
     */
    async join(queueId: string, userId: string): Promise<JoinResult | null> {
      let reply = await withQueue(queueId, () => joinOnce(queueId, userId));
      // In the lobby, and this process did not know the seed (or knew an old one): read it, again.
      for (let attempt = 0; reply === ScriptFailure.DRAW_UNKNOWN && attempt < 3; attempt++) {
        await readLobbySeed(queueId);
        reply = await joinOnce(queueId, userId);
      }
      if (reply === null) return null;
      if (typeof reply === 'number') throw new Error(`join of queue ${queueId} failed (${reply})`);
      const [state, ref, position, activeUntilMs, isNew, lobbyPhase, ...view] = reply as [
        number,
        string,
        number,
        number,
        number,
        number,
        ...unknown[],
      ];
      if (lobbyPhase === 0) lobbySeeds.delete(queueId);
      const token = parseRef(ref);
      return {
        ...toPlacement(state, position, activeUntilMs, queueViewOf(view), Date.now(), Number(token.tokenId)),
        ...token,
        isNew: isNew === 1,
      };
    },

    /**
     * Where this token stands, or `null` when it is no longer live. One round trip, read-only.
     * `arrival` is the fan's arrival number in line while waiting (see LinePlacement).
     */
    async status(queueId: string, ref: TokenRef): Promise<LinePlacement | null> {
      const reply = (await redis.wrStatus(...readKeys(queueId), ref.userId, refString(ref))) as [number, ...unknown[]];
      if (reply[0] === State.GONE) return null;
      const [state, position, activeUntilMs, arrival, ...view] = reply as [
        number,
        number,
        number,
        number,
        ...unknown[],
      ];
      return {
        ...toPlacement(state, position, activeUntilMs, queueViewOf(view), Date.now(), Number(ref.tokenId)),
        arrival,
      };
    },

    /**
     * Whether this token is live and whether it is active (its turn not over): booking's question
     * on every call, cheaper than `status`. `null` when it is no longer live.
     */
    async tokenState(queueId: string, ref: TokenRef): Promise<TokenStatus | null> {
      const k = keysOf(queueId);
      const state = (await redis.wrState(k.users, k.active, ref.userId, refString(ref))) as number;
      return state === 2 ? 'ACTIVE' : state === 1 ? 'WAITING' : null;
    },

    /** `status` of many tokens of one queue, in order: a round trip per 500 tokens, read-only. */
    async statuses(queueId: string, refs: TokenRef[]): Promise<(LinePlacement | null)[]> {
      const keys = readKeys(queueId);
      const batches: Promise<(LinePlacement | null)[]>[] = [];
      for (let i = 0; i < refs.length; i += STATUS_BATCH) {
        const batch = refs.slice(i, i + STATUS_BATCH);
        batches.push(
          redis
            .wrStatuses(...keys, ...batch.flatMap((ref) => [ref.userId, refString(ref)]))
            .then((reply) => parseStatuses(reply as unknown[], batch, Date.now())),
        );
      }
      return (await Promise.all(batches)).flat();
    },

    /**
     * The queue's line as one script call (see snapshot-9.lua and line-snapshot.ts): `null` when
     * Redis does not know the queue.
     */
    async lineSnapshot(queueId: string): Promise<RawLineSnapshot | null> {
      const k = keysOf(queueId);
      const reply = await redis.wrSnapshotBuffer(
        k.settings,
        k.waiting,
        k.active,
        k.stats,
        k.draw,
        k.seats,
        k.seq,
        k.lineBits,
        k.lobbyBits,
      );
      if (typeof reply === 'number') return null;
      const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString() : String(value));
      const at = 1 + QUEUE_VIEW_LENGTH;
      const [waiting, departures, head, tail, phase, cursor, lobbyFrom, lastToken, line, lobby] = reply.slice(at);
      return {
        redisNowMs: Number(reply[0]),
        view: queueViewOf(reply.slice(1, at)),
        waiting: Number(waiting),
        departures: Number(departures),
        head: Number(head),
        tail: Number(tail),
        phase: text(phase) as RawLineSnapshot['phase'],
        cursor: Number(cursor),
        lobbyFrom: Number(lobbyFrom),
        lastToken: Number(lastToken),
        line: Buffer.isBuffer(line) ? line : Buffer.alloc(0),
        lobby: Buffer.isBuffer(lobby) ? lobby : Buffer.alloc(0),
      };
    },

    /**
     * Exact ranks (0 = the head of the line) of fans expected at these arrival numbers, in one
     * round trip of plain commands: `null` for a fan whose arrival number is not (or no longer)
     * that one.
     */
    async ranksAt(queueId: string, fans: { userId: string; arrival: number }[]): Promise<(number | null)[]> {
      if (!fans.length) return [];
      const waiting = keysOf(queueId).waiting;
      const pipeline = redis.pipeline();
      for (const fan of fans) pipeline.zscore(waiting, fan.userId).zrank(waiting, fan.userId);
      const replies = (await pipeline.exec()) ?? [];
      return fans.map((fan, i) => {
        const [scoreError, score] = replies[2 * i] ?? [];
        const [rankError, rank] = replies[2 * i + 1] ?? [];
        if (scoreError) throw scoreError;
        if (rankError) throw rankError;
        return score !== null && Number(score) === fan.arrival && rank !== null ? Number(rank) : null;
      });
    },

    /**
     * Ends a live token (left, or paid: pass `'paid'` to count it so) and frees its place; a freed
     * active slot goes to the head of the line at once. `removed` is false when the token was not live.
     */
    async remove(
      queueId: string,
      ref: TokenRef,
      reason: RemovalReason = 'left',
    ): Promise<{ removed: boolean; admitted: number }> {
      const [removed, admitted] = (await redis.wrRemove(
        ...writeKeys(queueId),
        ref.userId,
        refString(ref),
        reason,
        keysOf(queueId).events,
      )) as number[];
      return { removed: removed === 1, admitted: admitted! };
    },

    /**
     * Ends whatever live token `userId` holds in the queue (an operator's revoke): the id of the
     * token it ended, or `null` if there was none.
     */
    async revoke(queueId: string, userId: string): Promise<string | null> {
      const [removed, , tokenNumber] = (await redis.wrRemove(
        ...writeKeys(queueId),
        userId,
        '',
        'revoked',
        keysOf(queueId).events,
      )) as number[];
      return removed === 1 ? String(tokenNumber) : null;
    },

    /**
     * Marks users seen now (polls and open streams, batched by the caller): one script call per
     * 1000 users, touching only live tokens.
     */
    async markPresent(queueId: string, userIds: string[]): Promise<void> {
      const users = keysOf(queueId).users;
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < userIds.length; i += 1000) writes.push(redis.wrPresent(users, ...userIds.slice(i, i + 1000)));
      await Promise.all(writes);
    },

    /** When this user (with a live token) was last seen polling or streaming, in epoch ms (to the second). */
    async lastSeen(queueId: string, userId: string): Promise<number | null> {
      const [, issuedAt, since] = (await redis.hget(keysOf(queueId).users, userId))?.split(':') ?? [];
      return issuedAt && since ? (parseInt(issuedAt, 36) + parseInt(since, 36)) * 1000 : null;
    },

    /**
     * Looks at up to `limit` fans of the abandonment walk (resumed where the last call stopped)
     * and drops those absent for longer than abandonAfterSeconds; `complete` once a walk ended.
     */
    dropAbandoned,

    /** Places up to `limit` fans of an opened lobby in line (in the drawn order). */
    placeLobby,

    /**
     * One tick of one queue, each step a bounded script: drop absent fans, open the lobby when
     * due, expire active tokens whose time is over, admit, and place an opened lobby in line (for
     * at most `placeBudgetMs`; the next tick goes on). Safe to run from several workers at once.
     */
    async tick(
      queueId: string,
      opts: { maxExpired?: number; abandonBatch?: number; placeBatch?: number; placeBudgetMs?: number } = {},
    ): Promise<{ admitted: number; expired: number; abandoned: number; placed: number; opened: boolean }> {
      const k = keysOf(queueId);
      const started = Date.now();
      let abandoned = 0;
      let opened = false;
      for (let call = 0; call < ABANDON_CALLS_PER_TICK; call++) {
        const step = await dropAbandoned(queueId, opts.abandonBatch);
        abandoned += step.dropped;
        opened ||= step.opened;
        if (step.complete) break;
      }
      const [admittedByTick, expired, drawing, openedByTick] = (await redis.wrTick(
        ...writeKeys(queueId),
        k.samples,
        opts.maxExpired ?? 10_000,
        k.events,
      )) as number[];
      let admitted = admittedByTick!;
      let placed = 0;
      opened ||= openedByTick === 1;
      if (drawing === 1) {
        const budget = opts.placeBudgetMs ?? 5000;
        for (;;) {
          const step = await placeLobby(queueId, opts.placeBatch);
          placed += step.placed;
          admitted += step.admitted;
          opened ||= step.opened;
          if (step.remaining === 0 || Date.now() - started >= budget) break;
        }
      }
      return { admitted, expired: expired!, abandoned, placed, opened };
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

    /** The pub/sub channel the scripts publish on whenever placements of the queue may have changed. */
    channelOf(queueId: string): string {
      return keysOf(queueId).events;
    },

    /** Every queue Redis knows. */
    async queueIds(): Promise<string[]> {
      return redis.smembers(queueRegistryKey(opts.prefix));
    },
  };
}

export type WaitingRoom = ReturnType<typeof createWaitingRoom>;
