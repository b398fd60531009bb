import { createHash } from 'node:crypto';
import type { HoldRequest } from '@concert/contract';
import { rows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';

/*
 * Idempotency-Key, as one concept: which writes honour it (the scopes), what identifies a
 * request (its fingerprint), claiming a key with the effect in one transaction (refusing a key
 * whose first request is still running), finding a stored response, and forgetting old records.
 * The HTTP side (replaying, the Idempotent-Replayed header) is booking's idempotency plugin.
 */

const distinctSorted = <T extends string | number>(values: T[]) =>
  [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The writes that honour Idempotency-Key, each with what identifies its request. */
export const IDEMPOTENT_WRITES = {
  'points.charge': (request: { amount: number }) => ({ amount: request.amount }),
  payments: (request: { reservationIds: string[] }) => ({
    reservationIds: distinctSorted(request.reservationIds),
  }),
  // The date is part of the request: the same body for another date is another request.
  holds: (request: { concertId: string; scheduleId: string; body: HoldRequest }) => ({
    concertId: request.concertId,
    scheduleId: request.scheduleId,
    body: 'seatNos' in request.body ? { seatNos: distinctSorted(request.body.seatNos) } : request.body,
  }),
  refunds: (request: { paymentId: string }) => ({ paymentId: request.paymentId }),
} satisfies Record<string, (request: never) => unknown>;

export type IdempotencyScope = keyof typeof IDEMPOTENT_WRITES;
export type IdempotentRequest<S extends IdempotencyScope> = Parameters<(typeof IDEMPOTENT_WRITES)[S]>[0];

export type IdempotencyKey<S extends IdempotencyScope = IdempotencyScope> = {
  userId: string;
  scope: S;
  key: string;
  request: IdempotentRequest<S>;
};
export type StoredResponse<T> = { statusCode: number; body: T; replayed: boolean };

type Stored<T> = { request_hash: string; status_code: number; response_body: T };

/** A stable fingerprint of a request of `scope` (keys sorted), to tell a replay from a reuse. */
export function requestFingerprint<S extends IdempotencyScope>(scope: S, request: IdempotentRequest<S>): string {
  const identifying = (IDEMPOTENT_WRITES[scope] as (request: unknown) => unknown)(request);
  const canonical = JSON.stringify(identifying, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(`${scope}\n${canonical}`).digest('hex');
}

function replay<T>(stored: Stored<T> | undefined, hash: string): StoredResponse<T> {
  if (!stored || stored.request_hash !== hash) throw new BookingErrors.IDEMPOTENCY_KEY_REUSED();
  return { statusCode: stored.status_code, body: stored.response_body, replayed: true };
}

const SELECT_STORED = `SELECT request_hash, status_code, response_body FROM idempotency_record
                        WHERE user_id = $1 AND scope = $2 AND key = $3`;

/**
 * The advisory lock (one bigint) a running request holds on its key until it commits: 64 bits of
 * SHA-256 over user, scope and key (PostgreSQL's two-int advisory locks used elsewhere are a
 * separate space).
 */
function keyLock(userId: string, scope: string, key: string): string {
  return createHash('sha256').update(`${userId}\n${scope}\n${key}`).digest().readBigInt64BE(0).toString();
}

/**
 * Runs `effect` at most once per (user, scope, key), inside the caller's transaction `tx`: the
 * key is claimed first, and the response is stored with the effect. While another request with
 * the key is still running (it holds the key's lock until it commits) this one is refused at once
 * with 409 IDEMPOTENCY_KEY_IN_FLIGHT instead of waiting. The same key with the same request gets
 * the first response back; with another, 422 IDEMPOTENCY_KEY_REUSED. A failed effect rolls the
 * claim back too, so a retry after an error runs again.
 */
export async function withIdempotency<T, S extends IdempotencyScope>(
  tx: SqlExecutor,
  idempotency: IdempotencyKey<S>,
  statusCode: number,
  effect: () => Promise<T>,
): Promise<StoredResponse<T>> {
  const { userId, scope, key } = idempotency;
  const hash = requestFingerprint(scope, idempotency.request);
  // Only the holder of the key's lock ever inserts the key, so the insert can never wait on
  // another request's uncommitted claim.
  const [claim] = await rows<{ locked: boolean; claimed: number }>(
    tx,
    `WITH lock AS (SELECT pg_try_advisory_xact_lock($5::bigint) AS locked),
          claim AS (
            INSERT INTO idempotency_record (user_id, scope, key, request_hash, status_code, response_body)
            SELECT $1, $2, $3, $4, 0, 'null'::jsonb FROM lock WHERE locked
            ON CONFLICT DO NOTHING
            RETURNING 1
          )
     SELECT (SELECT locked FROM lock) AS locked, (SELECT count(*) FROM claim)::int AS claimed`,
    [userId, scope, key, hash, keyLock(userId, scope, key)],
  );
  if (!claim!.locked) throw new BookingErrors.IDEMPOTENCY_KEY_IN_FLIGHT();
  if (claim!.claimed === 0) {
    const [stored] = await rows<Stored<T>>(tx, SELECT_STORED, [userId, scope, key]);
    return replay(stored, hash);
  }
  const body = await effect();
  await tx.query(
    `UPDATE idempotency_record SET status_code = $4, response_body = $5::jsonb
      WHERE user_id = $1 AND scope = $2 AND key = $3`,
    [userId, scope, key, statusCode, JSON.stringify(body)],
  );
  return { statusCode, body, replayed: false };
}

/**
 * The stored response of an already-completed request with this key, if any (outside a
 * transaction). Lets a client retry a payment whose response it lost even though the payment
 * has since ended its queue token. Throws IDEMPOTENCY_KEY_REUSED for a different request.
 */
export async function findStoredResponse<T, S extends IdempotencyScope>(
  on: SqlExecutor,
  idempotency: IdempotencyKey<S>,
): Promise<StoredResponse<T> | null> {
  const [stored] = await rows<Stored<T>>(on, `${SELECT_STORED} AND status_code > 0`, [
    idempotency.userId,
    idempotency.scope,
    idempotency.key,
  ]);
  return stored ? replay(stored, requestFingerprint(idempotency.scope, idempotency.request)) : null;
}

/**
 * Deletes records older than `retentionHours` (retries come within minutes; a day is generous),
 * at most `batch` per call, so storage does not grow with history. Returns how many.
 */
export async function forgetIdempotencyRecords(opts: { sql: Sql; retentionHours: number; batch?: number }) {
  const result = await opts.sql.query(
    `DELETE FROM idempotency_record WHERE ctid IN (
       SELECT ctid FROM idempotency_record
        WHERE created_at < now() - make_interval(hours => $1::int)
        LIMIT $2)`,
    [opts.retentionHours, opts.batch ?? 5000],
  );
  return result.rowCount ?? 0;
}
