import type { IdentityGrant, JsonWebKeySet } from '../schemas/identity.js';
import { createParser } from 'eventsource-parser';
import type { Placement, PlacementEvent, QueueFigures, QueueToken } from '../schemas/queues.js';
import type { QueueOverview, QueueSettings, QueueSettingsChange } from '../schemas/admin.js';
import { ApiError, createRequester, errorBodyOf, path, type ClientOptions } from './request.js';

/**
 * Reads a placement event stream (server-sent events, parsed by `eventsource-parser`): yields each
 * `status` and the final `end`, then stops; stops quietly when `signal` aborts. Errors before the
 * stream opens are ApiErrors, as for a poll.
 */
async function* readPlacementEvents(
  response: Response,
  signal: AbortSignal | undefined,
): AsyncGenerator<PlacementEvent, void, undefined> {
  const ready: PlacementEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      if (message.event === 'status' || message.event === 'end') {
        ready.push({ event: message.event, data: JSON.parse(message.data) } as PlacementEvent);
      }
    },
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
      while (ready.length) {
        const event = ready.shift()!;
        yield event;
        if (event.event === 'end') return;
      }
    }
  } catch (error) {
    if (signal?.aborted) return;
    throw error;
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** A typed client of the gateway (the waiting room). Every method throws ApiError outside 2xx. */
export function createGatewayClient(options: ClientOptions | string) {
  const request = createRequester(options);
  const { fetch: fetchImpl = globalThis.fetch, headers: common = {} } = typeof options === 'string' ? {} : options;
  const baseUrl = (typeof options === 'string' ? options : options.baseUrl).replace(/\/+$/, '');

  return {
    /** Development identity provider (only where DEV_IDENTITY=true): an identity token for `userId`. */
    createDevIdentity: (userId: string) => request<IdentityGrant>('POST', '/dev/identity', { body: { userId } }),

    /** Joins the queue as the identity token's user: 201 a new place, 200 the place already held. */
    joinQueue: (queueId: string, identityToken: string) =>
      request<QueueToken>('POST', path`/queues/${queueId}/tokens`, { token: identityToken, body: {} }),

    /** Where the queue token stands (also counts as presence). */
    pollToken: (queueId: string, queueToken: string) =>
      request<Placement>('GET', path`/queues/${queueId}/tokens/me`, { token: queueToken }),

    /** Leaves the line (or gives up the active turn). */
    leaveQueue: (queueId: string, queueToken: string) =>
      request<undefined>('DELETE', path`/queues/${queueId}/tokens/me`, { token: queueToken }),

    /**
     * The placement as it changes (server-sent events), for Node and other clients that can send
     * headers: `for await (const { event, data } of gateway.streamToken(queueId, token, { signal }))`.
     * Yields `status` events (the placement) and a last `end` when the token dies; abort `signal`
     * to stop listening. A token that is not live fails at once with its ApiError (401).
     */
    async *streamToken(
      queueId: string,
      queueToken: string,
      opts: { signal?: AbortSignal } = {},
    ): AsyncGenerator<PlacementEvent, void, undefined> {
      const response = await fetchImpl(`${baseUrl}${path`/queues/${queueId}/tokens/me/events`}`, {
        headers: { ...common, authorization: `Bearer ${queueToken}`, accept: 'text/event-stream' },
        signal: opts.signal,
      });
      if (!response.ok) {
        const text = await response.text();
        throw new ApiError(response.status, errorBodyOf(response.status, response.statusText, text), response.headers);
      }
      yield* readPlacementEvents(response, opts.signal);
    },

    /** The URL of the placement event stream, token in the query (what browsers' EventSource needs). */
    eventsUrl: (queueId: string, queueToken: string) =>
      `${baseUrl}${path`/queues/${queueId}/tokens/me/events`}?access_token=${encodeURIComponent(queueToken)}`,

    getQueue: (queueId: string) => request<QueueFigures>('GET', path`/queues/${queueId}`),

    getJwks: () => request<JsonWebKeySet>('GET', '/.well-known/jwks.json'),

    /** Operators' calls, with the `X-Admin-Key`. */
    admin(adminKey: string) {
      const headers = { 'x-admin-key': adminKey };
      return {
        putQueue: (queueId: string, settings: QueueSettingsChange) =>
          request<QueueSettings>('PUT', path`/admin/queues/${queueId}`, { body: settings, headers }),
        listQueues: () => request<QueueOverview[]>('GET', '/admin/queues', { headers }),
        getQueue: (queueId: string) => request<QueueOverview>('GET', path`/admin/queues/${queueId}`, { headers }),
        revokeUser: (queueId: string, userId: string) =>
          request<undefined>('DELETE', path`/admin/queues/${queueId}/users/${userId}`, { headers }),
      };
    },
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;
