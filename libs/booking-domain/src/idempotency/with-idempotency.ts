import { createHash } from 'node:crypto';
import { rows, type SqlExecutor } from '@concert/db';
import { BookingErrors } from '../errors.js';

export type IdempotencyKey = { userId: string; scope: string; key: string; request: unknown };
export type StoredResponse<T> = { statusCode: number; body: T; replayed: boolean };

type Stored<T> = { request_hash: string; status_code: number; response_body: T };

/** A stable fingerprint of a request body (keys sorted), to tell a replay from a reuse. */
export function requestHash(request: unknown): string {
  const canonical = JSON.stringify(request, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
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
 * commit), and the response is stored with the effect. The same key with the same body gets the
 * first response back; with another body, 422 IDEMPOTENCY_KEY_REUSED. A failed effect rolls the
 * claim back too, so a retry after an error runs again.
 */
export async function withIdempotency<T>(
  tx: SqlExecutor,
  idempotency: IdempotencyKey,
  statusCode: number,
  effect: () => Promise<T>,
): Promise<StoredResponse<T>> {
  const { userId, scope, key } = idempotency;
  const hash = requestHash(idempotency.request);
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
 * has since ended its queue token. Throws IDEMPOTENCY_KEY_REUSED for a different body.
 */
export async function findStoredResponse<T>(
  on: SqlExecutor,
  idempotency: IdempotencyKey,
): Promise<StoredResponse<T> | null> {
  const [stored] = await rows<Stored<T>>(on, `${SELECT_STORED} AND status_code > 0`, [
    idempotency.userId,
    idempotency.scope,
    idempotency.key,
  ]);
  return stored ? replay(stored, requestHash(idempotency.request)) : null;
}
