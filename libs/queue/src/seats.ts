import { readFileSync } from 'node:fs';
import { queueKeys } from './keys.js';
import type { RedisClient } from './redis.js';

/**
 * A queue's seats-left figures, kept by booking in the hash `queueKeys(prefix, queueId).seats`:
 * `left` = seats of the queue's concert (future dates) neither sold nor held, `held` = seats held
 * (a lapsed hold counts until the worker releases it). The waiting room reads the two fields; a
 * missing hash means "unknown". Booking changes them by deltas, each carrying the id of the outbox
 * effect that recorded it and applied at most once (the ids applied are remembered for
 * `APPLIED_EFFECTS_RETENTION_MS` beside the hash, under the same hash tag), and a reconciliation
 * from PostgreSQL sets them absolutely.
 */
export type SeatFigures = { left: number; held: number };
/** A recorded change of the figures: the outbox effect's id and the deltas. */
export type SeatDelta = SeatFigures & { id: string };

/** How long applied effect ids are remembered: far longer than an effect may wait in the outbox. */
export const APPLIED_EFFECTS_RETENTION_MS = 3_600_000;

/** The figures' hash, and the set of effect ids applied to it (same hash tag: one cluster slot). */
export function seatKeys(prefix: string, queueId: string) {
  const { seats } = queueKeys(prefix, queueId);
  return { seats, applied: `${seats}:applied` };
}

type SeatCommands = {
  seatsApply(...keysAndArgs: (string | number)[]): Promise<number>;
  seatsReconcile(...keysAndArgs: (string | number)[]): Promise<[number, number]>;
};

const LUA_DIR = new URL('./lua/', import.meta.url);
const SCRIPTS = [
  { command: 'seatsApply', file: 'seats-apply-2.lua' },
  { command: 'seatsReconcile', file: 'seats-reconcile-2.lua' },
].map(({ command, file }) => ({ command, lua: readFileSync(new URL(file, LUA_DIR), 'utf8') }));

/** Booking's side of the seats-left figures (writes) and anyone's read of them. */
export function createSeatsLeft(opts: { redis: RedisClient; prefix: string }) {
  const { prefix } = opts;
  for (const { command, lua } of SCRIPTS) {
    if (!(command in opts.redis)) opts.redis.defineCommand(command, { numberOfKeys: 2, lua });
  }
  const redis = opts.redis as RedisClient & SeatCommands;

  return {
    /** Applies the deltas not applied before (by id); returns how many it applied now. */
    async apply(queueId: string, deltas: SeatDelta[]): Promise<number> {
      if (!deltas.length) return 0;
      const { seats, applied } = seatKeys(prefix, queueId);
      const args = deltas.flatMap((delta) => [delta.id, delta.left, delta.held]);
      return redis.seatsApply(seats, applied, APPLIED_EFFECTS_RETENTION_MS, ...args);
    },

    /**
     * Sets the figures counted in PostgreSQL; `countedEffectIds` are the recorded changes the count
     * includes. Returns the figures it replaced (null when they were unknown).
     */
    async reconcile(queueId: string, figures: SeatFigures, countedEffectIds: string[]): Promise<SeatFigures | null> {
      const { seats, applied } = seatKeys(prefix, queueId);
      const [left, held] = await redis.seatsReconcile(
        seats,
        applied,
        figures.left,
        figures.held,
        APPLIED_EFFECTS_RETENTION_MS,
        ...countedEffectIds,
      );
      return left < 0 ? null : { left, held };
    },

    /** The figures, or null when unknown. */
    async read(queueId: string): Promise<SeatFigures | null> {
      const [left, held] = await redis.hmget(seatKeys(prefix, queueId).seats, 'left', 'held');
      return left == null || held == null ? null : { left: Number(left), held: Number(held) };
    },
  };
}

export type SeatsLeft = ReturnType<typeof createSeatsLeft>;
