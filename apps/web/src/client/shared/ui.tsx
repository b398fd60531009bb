import type { ComponentChildren } from 'preact';
import { ApiError } from '@concert/contract';
import { createIdempotency } from './idempotency.js';

/**
 * A message for the user. Errors are `role="alert"` (read out at once); everything else a polite
 * status. The space is reserved by the caller's layout, so a message never pushes content.
 */
export function Notice(props: { tone: 'error' | 'info' | 'success' | 'warning'; children: ComponentChildren }) {
  return (
    <p class={`notice notice--${props.tone}`} role={props.tone === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}

/** A labelled figure in a fixed-size box (`tabular-nums`), so changing values never move the page. */
export function Stat(props: { label: string; value: ComponentChildren; hint?: ComponentChildren; id?: string }) {
  return (
    <div class="stat">
      <dt class="stat__label">{props.label}</dt>
      <dd class="stat__value" id={props.id}>
        {props.value}
      </dd>
      {props.hint !== undefined && <dd class="stat__hint">{props.hint}</dd>}
    </div>
  );
}

export type Idempotency = ReturnType<typeof createIdempotency>;
export { createIdempotency };

/**
 * Runs a retryable write with the attempt's Idempotency-Key. The key is kept when the outcome is
 * unknown (no answer, a 5xx, rate limited, the first attempt still running), so trying again
 * cannot do it twice; any other answer settles the attempt.
 */
export async function attempt<T>(idempotency: Idempotency, body: unknown, run: (key: string) => Promise<T>) {
  const key = idempotency.keyFor(body);
  try {
    const result = await run(key);
    idempotency.settled();
    return result;
  } catch (error) {
    const unknownOutcome =
      !(error instanceof ApiError) ||
      error.status >= 500 ||
      error.status === 429 ||
      error.code === 'IDEMPOTENCY_KEY_IN_FLIGHT';
    if (!unknownOutcome) idempotency.settled();
    throw error;
  }
}
