import { admitQueues } from './admit-queues.js';
import { releaseHolds } from './release-holds.js';
import { sweepTokens } from './sweep-tokens.js';
import { forgetOldIdempotencyRecords } from './forget-idempotency-records.js';
import { applyOutbox } from './apply-outbox.js';
import { reconcileSeats } from './reconcile-seats-left.js';

export const JOBS = [admitQueues, releaseHolds, sweepTokens, forgetOldIdempotencyRecords, applyOutbox, reconcileSeats];
export type { JobContext, JobDefinition } from './definitions.js';
