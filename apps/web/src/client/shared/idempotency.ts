/**
 * Idempotency keys for the writes that may be retried (holds, charges, payments, refunds): the
 * same attempt keeps its key until it gets an answer, so a retry after a dropped connection
 * cannot charge or hold twice; a new attempt (another body, or after an answer) gets a new key.
 */
export function createIdempotency() {
  let pending: { body: string; key: string } | null = null;
  return {
    /** The key for this body: the pending attempt's when the body is the same, else a new one. */
    keyFor(body: unknown): string {
      const text = JSON.stringify(body);
      if (pending?.body !== text) pending = { body: text, key: crypto.randomUUID() };
      return pending.key;
    },
    /** The server answered (success or a definite refusal): the next attempt is a new one. */
    settled(): void {
      pending = null;
    },
  };
}
