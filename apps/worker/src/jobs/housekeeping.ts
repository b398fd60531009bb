import type { JobDefinition } from './definitions.js';

// Idempotency keys protect retries, which come within minutes; a day is generous.
const IDEMPOTENCY_RETENTION_HOURS = 24;

/**
 * Forgets what is no longer live so storage does not grow with history: waiting tokens past
 * their hard expiry (Redis) and old idempotency records (PostgreSQL). Bounded per run.
 */
export const housekeeping: JobDefinition = {
  name: 'housekeeping',
  everyMs: (config) => config.HOUSEKEEPING_INTERVAL_MS,
  async handle({ config, db, waitingRoom, metrics }) {
    const queueIds = await waitingRoom.queueIds();
    const swept = await Promise.all(
      queueIds.map((queueId) => waitingRoom.sweep(queueId, { tokenTtlSeconds: config.TOKEN_TTL_SECONDS })),
    );
    const forgottenTokens = swept.reduce((sum, n) => sum + n, 0);
    const idempotencyRecords = await db.$executeRaw`
      DELETE FROM idempotency_record WHERE ctid IN (
        SELECT ctid FROM idempotency_record
         WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS}::int)
         LIMIT 5000)`;
    metrics.forgottenTokens.inc(forgottenTokens);
    return { forgottenTokens, idempotencyRecords };
  },
};
