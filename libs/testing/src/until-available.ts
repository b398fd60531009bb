import { ApiError } from '@concert/contract';

/** A `503` (an outage, or a request whose database budget ran out on a busy machine). */
export const isUnavailable = (error: unknown) => error instanceof ApiError && error.status === 503;

/**
 * Calls `call` until it answers something other than 503 — what a client does with Retry-After,
 * here after a shorter wait to keep tests short — or `deadline` passes (then throws the last 503).
 * Writes retried this way must carry their Idempotency-Key from outside `call`.
 */
export async function untilAvailable<T>(call: () => Promise<T>, deadline = Date.now() + 15_000): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!isUnavailable(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
