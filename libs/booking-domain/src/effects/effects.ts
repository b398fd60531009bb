import type { TokenRef } from '@concert/contract';
import { inTransaction, rows, type Sql } from '@concert/db';

/*
 * Effects that must follow a commit, outside PostgreSQL: ending a paying queue token and changing
 * a queue's seats-left figures in Redis. A use case records them in the outbox (table
 * `outbox_effect`) in the very transaction whose commit calls for them and returns them; the
 * request applies them right after the commit, and the worker applies whatever is still recorded
 * (the process died, Redis was down) and deletes it. Applying an effect twice is harmless: ending
 * a token that is no longer live does nothing, and the seats-left script skips effect ids it has
 * already applied.
 */

/** Changes of a queue's seats-left figures (`left`: neither sold nor held, `held`: in holds). */
export type SeatCounts = { left: number; held: number };

/** What one committed transaction asks for (one outbox row): seat-count deltas, a token to end. */
export type Effect = { id: string; queueId: string; seats?: SeatCounts; endToken?: TokenRef };

/** Where effects land (the apps wire these to Redis: libs/queue's seats-left and waiting room). */
export type EffectTargets = {
  /** Adds each delta once per effect id (already-applied ids are skipped). */
  applySeatDeltas(queueId: string, deltas: (SeatCounts & { id: string })[]): Promise<unknown>;
  /** Ends the token if it is still live. */
  endToken(queueId: string, token: TokenRef): Promise<unknown>;
};

/** SQL (an aggregate over outbox rows `fx`) giving the JSON array `effectsOf` reads. */
export const EFFECTS_JSON = `coalesce(jsonb_agg(jsonb_build_object('id', fx.id::text, 'queueId', fx.queue_id)
  || fx.payload), '[]'::jsonb)`;

/** The effects of a use case's statement (`EFFECTS_JSON`), parsed by pg already. */
export function effectsOf(json: unknown): Effect[] {
  return Array.isArray(json) ? (json as Effect[]) : [];
}

/**
 * Applies effects, every queue's seat deltas in one script call. Throws (after trying all) if any
 * failed; whatever failed stays in the outbox for the worker.
 */
export async function applyEffects(effects: Effect[], targets: EffectTargets): Promise<void> {
  if (!effects.length) return;
  const deltasByQueue = new Map<string, (SeatCounts & { id: string })[]>();
  const calls: Promise<unknown>[] = [];
  for (const effect of effects) {
    if (effect.seats) {
      const deltas = deltasByQueue.get(effect.queueId) ?? [];
      deltas.push({ id: effect.id, left: effect.seats.left, held: effect.seats.held });
      deltasByQueue.set(effect.queueId, deltas);
    }
    if (effect.endToken) calls.push(targets.endToken(effect.queueId, effect.endToken));
  }
  for (const [queueId, deltas] of deltasByQueue) calls.push(targets.applySeatDeltas(queueId, deltas));
  const failed = (await Promise.allSettled(calls)).find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

type OutboxRow = { id: string; queue_id: string; stale: boolean; payload: Omit<Effect, 'id' | 'queueId'> };

/**
 * Applies and deletes up to `batch` effects left in the outbox for `graceMs` (the request that
 * recorded one normally applies it at once), in one transaction: the rows are locked (another
 * worker skips them), applied, then deleted. If applying fails the transaction rolls back and the
 * next run tries again. Seat deltas recorded more than `staleAfterMs` ago are not applied (whether
 * they were is no longer remembered: applying could count one twice); their queues are returned
 * for a reconciliation instead, which counts them. Returns how many rows it took.
 */
export async function applyPendingEffects(opts: {
  sql: Sql;
  targets: EffectTargets;
  batch?: number;
  graceMs?: number;
  staleAfterMs?: number;
}): Promise<{ applied: number; toReconcile: string[] }> {
  const { sql, targets, batch = 500, graceMs = 1000, staleAfterMs = 3_600_000 } = opts;
  return inTransaction(sql, async (tx) => {
    const pending = await rows<OutboxRow>(
      tx,
      `SELECT id::text, queue_id, payload, created_at < now() - make_interval(secs => $3::float8 / 1000) AS stale
         FROM outbox_effect
        WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
        ORDER BY id LIMIT $2
          FOR UPDATE SKIP LOCKED`,
      [graceMs, batch, staleAfterMs],
    );
    if (!pending.length) return { applied: 0, toReconcile: [] };
    const toReconcile = new Set<string>();
    const effects = pending.map((row): Effect => {
      const { seats, endToken } = row.payload;
      if (row.stale && seats) toReconcile.add(row.queue_id);
      return { id: row.id, queueId: row.queue_id, endToken, seats: row.stale ? undefined : seats };
    });
    await applyEffects(effects, targets);
    await tx.query('DELETE FROM outbox_effect WHERE id = ANY($1::bigint[])', [pending.map((row) => row.id)]);
    return { applied: pending.length, toReconcile: [...toReconcile] };
  });
}

/**
 * The effects still in the outbox that end a token of `userId`: those of the user's committed
 * payments the worker has not applied yet. A replayed payment applies them, so it ends the
 * token that paid (recorded with the payment), never the token the retry carries: the fan may
 * have joined again since. Once the worker has applied an effect, that token has ended.
 */
export async function findPendingTokenEndings(opts: { sql: Sql; userId: string }): Promise<Effect[]> {
  const [row] = await rows<{ effects: unknown }>(
    opts.sql,
    `SELECT ${EFFECTS_JSON} AS effects FROM outbox_effect fx WHERE fx.payload -> 'endToken' ->> 'userId' = $1`,
    [opts.userId],
  );
  return effectsOf(row?.effects);
}
