import { Type, type Static } from 'typebox';
import { nullable, opaqueId, timestamp } from './common.js';

export const queueParams = Type.Object({ queueId: opaqueId('Queue id (a concert names its queue)') });
export type QueueParams = Static<typeof queueParams>;

export const tokenStatus = Type.Union([Type.Literal('WAITING'), Type.Literal('ACTIVE')], {
  title: 'TokenStatus',
  description: 'WAITING in line (or in the lobby), or ACTIVE: free to book until `activeUntil`',
});
export type TokenStatus = Static<typeof tokenStatus>;

export const queueStatus = Type.Union(
  [Type.Literal('LOBBY'), Type.Literal('OPEN'), Type.Literal('PAUSED'), Type.Literal('SOLD_OUT')],
  {
    title: 'QueueStatus',
    description:
      'LOBBY before `opensAt` (the order is drawn at opening), OPEN, PAUSED by an operator, or SOLD_OUT ' +
      '(every seat sold and no hold pending; waiters keep their place in case seats come back)',
  },
);
export type QueueStatus = Static<typeof queueStatus>;

const placementFields = {
  queueId: Type.String(),
  status: tokenStatus,
  position: nullable(Type.Integer({ minimum: 1 }), '1 = next in line; null when active or in the lobby'),
  etaSeconds: nullable(
    Type.Integer({ minimum: 0 }),
    'Estimated wait in seconds (in the lobby: until the opening); null when active',
  ),
  activeUntil: nullable(timestamp(), 'When the active turn ends; null while waiting'),
  queueStatus,
  opensAt: nullable(timestamp(), 'When the queue opens (the lobby is drawn then); null if not set'),
  pollAfterSeconds: Type.Integer({
    minimum: 1,
    description: 'When to ask again (short near the front, long far back); also sent as Retry-After on polls',
  }),
};

/** Where a live queue token stands. */
export const placement = Type.Object(placementFields, { title: 'Placement', additionalProperties: false });
export type Placement = Static<typeof placement>;

/** A join's answer: the queue token and its placement. */
export const queueToken = Type.Object(
  {
    token: Type.String({
      description: 'The queue token (JWT): send it as `Authorization: Bearer` to poll and to book',
    }),
    ...placementFields,
  },
  { title: 'QueueToken', additionalProperties: false },
);
export type QueueToken = Static<typeof queueToken>;

/** Why a stream of placements ended. */
export const streamEnd = Type.Object(
  { reason: Type.Literal('EXPIRED') },
  { title: 'StreamEnd', additionalProperties: false },
);
export type StreamEnd = Static<typeof streamEnd>;

/** `GET /queues/{queueId}/tokens/me/events`: the token may come in the query (browsers' EventSource). */
export const eventsQuery = Type.Object(
  {
    access_token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'The queue token, for clients that cannot send headers (EventSource); the header wins',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof eventsQuery>;

/** One server-sent event of a placement stream: its `event:` name and its `data:` (JSON). */
export const placementEvent = Type.Union(
  [
    Type.Object(
      { event: Type.Literal('status'), data: placement },
      { title: 'PlacementStatusEvent', additionalProperties: false },
    ),
    Type.Object(
      { event: Type.Literal('end'), data: streamEnd },
      { title: 'PlacementEndEvent', additionalProperties: false },
    ),
  ],
  {
    title: 'PlacementEvent',
    description:
      'Server-sent events, each an `event:` line (the name) and a `data:` line (JSON): `status` with the ' +
      'Placement at once and whenever it changes (at most about once a second), `end` with { "reason": ' +
      '"EXPIRED" } before the stream closes because the token died. A comment line (`: keep-alive`) every 15 s.',
  },
);
export type PlacementEvent = Static<typeof placementEvent>;

/** `GET /queues/{queueId}`: what anyone may see of a queue. */
export const queueFigures = Type.Object(
  {
    queueId: Type.String(),
    queueStatus,
    waiting: Type.Integer({ minimum: 0, description: 'Fans in line (after opening)' }),
    lobby: Type.Integer({ minimum: 0, description: 'Fans in the lobby, before opening' }),
    active: Type.Integer({ minimum: 0, description: 'Fans free to book right now' }),
    maxActive: Type.Integer({ minimum: 1 }),
    paused: Type.Boolean(),
    admitPerMinute: nullable(Type.Integer({ minimum: 1 }), 'Admission rate cap; null when uncapped'),
    admittedLastMinute: Type.Integer({ minimum: 0 }),
    opensAt: nullable(timestamp()),
    shuffleCommitment: nullable(
      Type.String({ pattern: '^[0-9a-f]{64}$' }),
      "SHA-256 (hex) of the lobby draw's secret seed, published before the opening",
    ),
    shuffleSeed: nullable(
      Type.String({ pattern: '^[0-9a-f]{64}$' }),
      'The seed (hex), revealed at opening: the lobby order is ascending HMAC-SHA256(seed, userId)',
    ),
  },
  { title: 'QueueFigures', additionalProperties: false },
);
export type QueueFigures = Static<typeof queueFigures>;
