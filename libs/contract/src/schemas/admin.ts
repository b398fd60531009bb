import { Type, type Static } from 'typebox';
import { nullable, opaqueId, timestamp } from './common.js';
import { queueFigures } from './queues.js';

const settingsFields = {
  maxActive: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Most fans active at once' }),
  activeTtlSeconds: Type.Integer({ minimum: 10, maximum: 86_400, description: 'How long an admitted fan may book' }),
  paused: Type.Boolean({ description: 'While paused, tokens are still issued but nobody is admitted' }),
  admitPerMinute: nullable(
    Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    'Most admissions in any rolling minute; null for no cap',
  ),
  opensAt: nullable(timestamp(), 'Before this time joiners wait in a lobby; its order is drawn at opening'),
  abandonAfterSeconds: Type.Integer({
    minimum: 30,
    maximum: 86_400,
    description: 'A waiter with no poll and no open stream for this long is dropped',
  }),
  maxActivePerSeat: nullable(
    Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
    'When set, admission keeps active ≤ ceil(seats left × this); null for no seat cap',
  ),
};

/** `PUT /admin/queues/{queueId}`: the settings to change (all optional; a new queue takes defaults). */
export const queueSettingsChange = Type.Partial(Type.Object(settingsFields), {
  title: 'QueueSettingsChange',
  additionalProperties: false,
  examples: [{ maxActive: 100, activeTtlSeconds: 600 }],
});
export type QueueSettingsChange = Static<typeof queueSettingsChange>;

/** A queue's stored settings. */
export const queueSettings = Type.Object(
  { queueId: Type.String(), ...settingsFields },
  { title: 'QueueSettings', additionalProperties: false },
);
export type QueueSettings = Static<typeof queueSettings>;

/** Settings and live figures of one queue, for operators. */
export const queueOverview = Type.Object(
  {
    ...queueSettings.properties,
    ...queueFigures.properties,
    seatsLeft: nullable(
      Type.Integer({ minimum: 0 }),
      "Seats of the queue's concert neither sold nor held; null when booking has not reported it",
    ),
    admittedTotal: Type.Integer({ minimum: 0 }),
    abandonedTotal: Type.Integer({ minimum: 0, description: 'Waiters dropped for absence' }),
  },
  { title: 'QueueOverview', additionalProperties: false },
);
export type QueueOverview = Static<typeof queueOverview>;

export const queueOverviewList = Type.Array(queueOverview, { title: 'QueueOverviewList' });

export const queueUserParams = Type.Object({
  queueId: opaqueId('Queue id'),
  userId: opaqueId("The user's id (the identity token's sub)"),
});
export type QueueUserParams = Static<typeof queueUserParams>;
