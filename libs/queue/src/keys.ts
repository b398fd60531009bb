/**
 * Every Redis key of the waiting room, built in one place. All keys of one queue share the hash
 * tag `{queueId}`, so each multi-key script of a queue runs on one Redis Cluster slot.
 */
export function queueKeys(prefix: string, queueId: string) {
  const base = `${prefix}:{${queueId}}`;
  return {
    settings: `${base}:settings`,
    waiting: `${base}:waiting`,
    active: `${base}:active`,
    users: `${base}:users`,
    stats: `${base}:stats`,
    seq: `${base}:seq`,
    samples: `${base}:samples`,
    marks: `${base}:marks`,
    /** Fans who joined before `opensAt`, until the opening puts them in line in the drawn order. */
    lobby: `${base}:lobby`,
    /** The lobby draw: its seed, commitment and progress. Never restored over by settings. */
    draw: `${base}:draw`,
    /** Admissions per second over the last minute (a ring of 61 one-second buckets). */
    minute: `${base}:minute`,
    /**
     * Hash kept by booking: `left` = seats of the queue's concert (future dates) neither sold nor
     * held, `held` = seats in live holds. The waiting room reads it for inventory-aware admission
     * and SOLD_OUT.
     */
    seats: `${base}:seats`,
    /**
     * Bitmap by arrival number: set while that number is in line (reliable from the head of the
     * line on). The gateways' line snapshots count positions with it.
     */
    lineBits: `${base}:line-bits`,
    /** Bitmap by token number: set while that token waits in the lobby, not yet placed. */
    lobbyBits: `${base}:lobby-bits`,
    /** Pub/sub channel (not a key): a message whenever placements in this queue may have changed. */
    events: `${base}:events`,
  };
}

export type QueueKeys = ReturnType<typeof queueKeys>;

/** The set of configured queue ids (one key on its own: only ever used alone, so cluster-safe). */
export function queueRegistryKey(prefix: string) {
  return `${prefix}:queues`;
}
