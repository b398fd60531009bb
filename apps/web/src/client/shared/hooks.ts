import { useEffect, useRef, useState } from 'preact/hooks';

/** The current time, refreshed every `intervalMs` (for countdowns). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * Runs `task` now and then every `intervalMs` after the previous run finished (never two at
 * once), until unmounted or `key` changes. `task` may change between renders. A task reports its
 * own failures to the screen; one it lets through is logged, and the next run comes all the same.
 */
export function useRepeating(task: (signal: AbortSignal) => Promise<void>, intervalMs: number, key: unknown) {
  const latest = useRef(task);
  latest.current = task;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        await latest.current(controller.signal);
      } catch (error) {
        // A refresh that failed in a way nobody expected: a bug to see in the console, not a
        // reason to stop refreshing (nor an unhandled rejection).
        if (!controller.signal.aborted) console.error('a repeating task failed', error);
      } finally {
        if (!controller.signal.aborted) timer = setTimeout(run, intervalMs);
      }
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [intervalMs, key]);
}

/** Moves keyboard focus to the element once it is shown (a new screen's heading). */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
