import { forgetIdempotencyRecords } from '@concert/booking-domain';
import type { JobDefinition } from './definitions.js';

/** Deletes Idempotency-Key records past their retention (IDEMPOTENCY_RETENTION_HOURS), in batches. */
export const forgetOldIdempotencyRecords: JobDefinition = {
  name: 'forget-idempotency-records',
  everyMs: (config) => config.SWEEP_INTERVAL_MS,
  async handle({ config, sql }) {
    const forgotten = await forgetIdempotencyRecords({ sql, retentionHours: config.IDEMPOTENCY_RETENTION_HOURS });
    return { forgotten };
  },
};
