import { admitQueues } from './admit-queues.js';
import { releaseHolds } from './release-holds.js';
import { housekeeping } from './housekeeping.js';

export const JOBS = [admitQueues, releaseHolds, housekeeping];
export type { JobContext, JobDefinition } from './definitions.js';
