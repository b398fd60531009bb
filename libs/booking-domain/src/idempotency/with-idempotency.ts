import { createHash } from 'node:crypto';
import type { DbTransaction } from '@concert/db';
import { BookingErrors } from '../errors.js';

export type IdempotencyKey = { userId: string; scope: string; key: string; request: unknown };
export type StoredResponse<T> = { statusCode: number; body: T; replayed: boolean };

/** A stable fingerprint of a request body (keys sorted), to tell a replay from a reuse. */
export function requestHash(request: unknown): string {
  const canonical = JSON.stringify(request, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Runs `effect` at most once per (user, scope, key), inside the caller's transaction: the key is
 * claimed first (a concurrent request with the same key waits on the row until we commit), and
 * the response is stored with the effect. The same key with the same body gets the first response
 * back; with another body, 422 IDEMPOTENCY_KEY_REUSED. A failed effect rolls the claim back too,
 * so a retry after an error runs again.
 */
export async function withIdempotency<T>(
  tx: DbTransaction,
  idempotency: IdempotencyKey | undefined,
  statusCode: number,
  effect: () => Promise<T>,
): Promise<StoredResponse<T>> {
  if (!idempotency) return { statusCode, body: await effect(), replayed: false };
  const { userId, scope, key } = idempotency;
  const hash = requestHash(idempotency.request);

  const claimed = await tx.$queryRaw<{ claimed: number }[]>`
    INSERT INTO idempotency_record (user_id, scope, key, request_hash, status_code, response_body)
    VALUES (${userId}, ${scope}, ${key}, ${hash}, 0, 'null'::jsonb)
    ON CONFLICT DO NOTHING
    RETURNING 1 AS claimed`;
  if (claimed.length === 0) {
    const [first] = await tx.$queryRaw<{ request_hash: string; status_code: number; response_body: T }[]>`
      SELECT request_hash, status_code, response_body FROM idempotency_record
       WHERE user_id = ${userId} AND scope = ${scope} AND key = ${key}`;
    if (!first || first.request_hash !== hash) throw new BookingErrors.IDEMPOTENCY_KEY_REUSED();
    return { statusCode: first.status_code, body: first.response_body, replayed: true };
  }

  const body = await effect();
  await tx.$executeRaw`
    UPDATE idempotency_record SET status_code = ${statusCode}::int, response_body = ${JSON.stringify(body)}::jsonb
     WHERE user_id = ${userId} AND scope = ${scope} AND key = ${key}`;
  return { statusCode, body, replayed: false };
}

/**
 * The stored response of an already-completed request with this key, if any (outside a
 * transaction). Lets a client retry a payment whose response it lost even though the payment
 * has since ended its queue token. Throws IDEMPOTENCY_KEY_REUSED for a different body.
 */
export async function findStoredResponse<T>(
  db: { $queryRaw: DbTransaction['$queryRaw'] },
  idempotency: IdempotencyKey,
): Promise<StoredResponse<T> | null> {
  const [first] = await db.$queryRaw<{ request_hash: string; status_code: number; response_body: T }[]>`
    SELECT request_hash, status_code, response_body FROM idempotency_record
     WHERE user_id = ${idempotency.userId} AND scope = ${idempotency.scope} AND key = ${idempotency.key} AND status_code > 0`;
  if (!first) return null;
  if (first.request_hash !== requestHash(idempotency.request)) throw new BookingErrors.IDEMPOTENCY_KEY_REUSED();
  return { statusCode: first.status_code, body: first.response_body, replayed: true };
}
