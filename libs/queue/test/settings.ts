import type { QueueSettings } from '../src/index.js';

/** A queue's full settings: DESIGN.md's defaults, changed by `change`. */
export const queueSettings = (change: Partial<QueueSettings> = {}): QueueSettings => ({
  maxActive: 100,
  activeTtlSeconds: 600,
  paused: false,
  admitPerMinute: null,
  opensAt: null,
  abandonAfterSeconds: 300,
  maxActivePerSeat: null,
  ...change,
});
