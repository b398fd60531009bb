import { ApiError, retryAfterSecondsOf, type GatewayClient, type Placement } from '@concert/contract';

export type WatchMode = 'stream' | 'poll';

/** What a watcher reports to the screen. */
export type WatchEvent =
  | { type: 'placement'; placement: Placement; mode: WatchMode }
  | { type: 'ended'; code: string }
  | { type: 'trouble'; error: unknown; retryInSeconds: number };

export type WatchOptions = {
  gateway: GatewayClient;
  gatewayUrl: string;
  queueId: string;
  token: string;
  onEvent: (event: WatchEvent) => void;
};

// The server sends a comment every 15 s: a silent stream for longer than this is a dead one.
const STREAM_IDLE_MS = 45_000;
// After a stream fails, poll for a while before trying it again: 5 s, 15 s, 45 s, ... 5 min.
const streamRetryMs = (failures: number) => Math.min(300_000, 5000 * 3 ** (failures - 1));
// A placement that names no pace, on an answer with no Retry-After either.
const DEFAULT_POLL_SECONDS = 5;
// Polls that fail without the server saying when to retry: 2 s, 4 s, 8 s, ... 30 s.
const pollBackoffSeconds = (failures: number) => Math.min(30, 2 ** failures);

/**
 * Follows a queue token's placement: over the event stream (`GET .../tokens/me/events`) while it
 * works, else by polling paced as the server says (`pollAfterSeconds`, `Retry-After` on 429/503).
 * A stream the gateway does not offer (404) is not tried again; one that drops is retried after a
 * growing pause, polling meanwhile. Reports `ended` once the token is dead. Returns `stop`.
 */
export function watchPlacement(options: WatchOptions): () => void {
  const { gateway, queueId, token, onEvent } = options;
  const controller = new AbortController();
  const { signal } = controller;
  let streamOffered = true;
  let streamFailures = 0;
  let streamRetryAt = 0;
  let pollFailures = 0;

  const sleep = (seconds: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, seconds * 1000);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  /** One stream connection, until it ends: 'ended' (token dead), 'absent' (not offered), 'dropped'. */
  async function stream(): Promise<'ended' | 'absent' | 'dropped'> {
    const url = `${options.gatewayUrl}/queues/${encodeURIComponent(queueId)}/tokens/me/events`;
    const idle = new AbortController();
    const abortIdle = () => idle.abort();
    signal.addEventListener('abort', abortIdle, { once: true });
    let watchdog = setTimeout(abortIdle, STREAM_IDLE_MS);
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(abortIdle, STREAM_IDLE_MS);
    };
    try {
      const response = await fetch(url, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
        signal: idle.signal,
      });
      if (response.status === 404 || response.status === 405 || response.status === 501) {
        await response.body?.cancel();
        return 'absent';
      }
      if (!response.ok || !response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
        await response.body?.cancel();
        return 'dropped';
      }
      const lived = Date.now();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        alive();
        buffer += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue; // keep-alive comment
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = text;
            else if (field === 'data') data.push(text);
          }
          if (event === 'status' && data.length) {
            // A stream that delivers is a healthy one: later drops start the back-off afresh.
            if (Date.now() - lived > 30_000) streamFailures = 0;
            onEvent({ type: 'placement', placement: JSON.parse(data.join('\n')) as Placement, mode: 'stream' });
          } else if (event === 'end') {
            onEvent({ type: 'ended', code: 'TOKEN_EXPIRED' });
            return 'ended';
          }
        }
      }
      return 'dropped';
    } catch {
      return 'dropped';
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', abortIdle);
    }
  }

  /** One poll; returns the seconds until the next, or null once the token is dead. */
  async function poll(): Promise<number | null> {
    try {
      const { data, headers } = await gateway.pollToken(queueId, token);
      pollFailures = 0;
      onEvent({ type: 'placement', placement: data, mode: 'poll' });
      return Math.max(1, data.pollAfterSeconds || (retryAfterSecondsOf(headers) ?? DEFAULT_POLL_SECONDS));
    } catch (error) {
      if (signal.aborted) return null;
      if (error instanceof ApiError && error.status === 401) {
        onEvent({ type: 'ended', code: error.code });
        return null;
      }
      pollFailures++;
      const retryInSeconds =
        error instanceof ApiError && error.retryAfterSeconds !== undefined
          ? Math.max(1, error.retryAfterSeconds)
          : pollBackoffSeconds(pollFailures);
      onEvent({ type: 'trouble', error, retryInSeconds });
      return retryInSeconds;
    }
  }

  async function run() {
    while (!signal.aborted) {
      if (streamOffered && Date.now() >= streamRetryAt) {
        const outcome = await stream();
        if (outcome === 'ended' || signal.aborted) return;
        if (outcome === 'absent') streamOffered = false;
        else streamRetryAt = Date.now() + streamRetryMs(++streamFailures);
      }
      // Poll at once (the stream may have dropped because the token died), then as paced,
      // going back to the stream when its retry time comes.
      for (;;) {
        const next = await poll();
        if (next === null || signal.aborted) return;
        const untilStream = streamOffered ? (streamRetryAt - Date.now()) / 1000 : Infinity;
        await sleep(Math.max(0, Math.min(next, untilStream)));
        if (signal.aborted) return;
        if (streamOffered && Date.now() >= streamRetryAt) break;
      }
    }
  }

  void run();
  return () => controller.abort();
}
