import type { IdentityGrant, JsonWebKeySet } from '../schemas/identity.js';
import type { Placement, QueueFigures, QueueToken } from '../schemas/queues.js';
import type { QueueOverview, QueueSettings, QueueSettingsChange } from '../schemas/admin.js';
import { createRequester, path, type ClientOptions } from './request.js';

/** A typed client of the gateway (the waiting room). Every method throws ApiError outside 2xx. */
export function createGatewayClient(options: ClientOptions | string) {
  const request = createRequester(options);
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
