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
    /**
     * Hash kept by booking: `left` = seats of the queue's concert (future dates) neither sold nor
     * held, `held` = seats in live holds. The waiting room reads it for inventory-aware admission
     * and SOLD_OUT.
     */
    seats: `${base}:seats`,
  };
}

export type QueueKeys = ReturnType<typeof queueKeys>;

/** The set of configured queue ids (one key on its own: only ever used alone, so cluster-safe). */
export function queueRegistryKey(prefix: string) {
  return `${prefix}:queues`;
}
