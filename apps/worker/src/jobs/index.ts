import { admitQueues } from './admit-queues.js';
import { releaseHolds } from './release-holds.js';
import { sweepTokens } from './sweep-tokens.js';
import { forgetOldIdempotencyRecords } from './forget-idempotency-records.js';

export const JOBS = [admitQueues, releaseHolds, sweepTokens, forgetOldIdempotencyRecords];
export type { JobContext, JobDefinition } from './definitions.js';
