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
 * once), until unmounted or `key` changes. `task` may change between renders.
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
