import { createHash } from 'node:crypto';
import { rows, type Sql, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';

/*
 * Idempotency-Key, as one concept: which writes honour it (the scopes), what identifies a
 * request (its fingerprint), claiming a key with the effect in one transaction, finding a stored
 * response, and forgetting old records. The HTTP side (replaying, the Idempotent-Replayed
 * header) is booking's idempotency plugin.
 */

/** The writes that honour Idempotency-Key, each with what identifies its request. */
export const IDEMPOTENT_WRITES = {
  'points.charge': (request: { amount: number }) => ({ amount: request.amount }),
  payments: (request: { reservationIds: string[] }) => ({
    reservationIds: [...new Set(request.reservationIds)].sort(),
  }),
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
 * Runs `effect` at most once per (user, scope, key), inside the caller's transaction `tx`: the
 * key is claimed first (a concurrent request with the same key waits on the row until we
 * commit), and the response is stored with the effect. The same key with the same request gets
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
  const claimed = await tx.query(
    `INSERT INTO idempotency_record (user_id, scope, key, request_hash, status_code, response_body)
     VALUES ($1, $2, $3, $4, 0, 'null'::jsonb)
     ON CONFLICT DO NOTHING`,
    [userId, scope, key, hash],
  );
  if (claimed.rowCount === 0) {
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
