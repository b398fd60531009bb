import { Type, type Static } from 'typebox';
import { QUEUE_ID_PATTERN, USER_ID_PATTERN } from '@concert/queue';

export const queueParams = Type.Object({ queueId: Type.String({ pattern: QUEUE_ID_PATTERN }) });
export type QueueParams = Static<typeof queueParams>;

export const joinBody = Type.Object(
  { userId: Type.String({ pattern: USER_ID_PATTERN, description: '1–64 of A-Z a-z 0-9 . _ : @ -' }) },
  { additionalProperties: false },
);

const placementFields = {
  queueId: Type.String(),
  status: Type.Union([Type.Literal('WAITING'), Type.Literal('ACTIVE')]),
  position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description: '1 = next in line; null when active',
  }),
  etaSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'null when active' }),
  activeUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while waiting' }),
};

export const tokenStatus = Type.Object(placementFields);
export const issuedToken = Type.Object({ token: Type.String(), ...placementFields });

export const queueFigures = Type.Object({
  queueId: Type.String(),
  waiting: Type.Integer(),
  active: Type.Integer(),
  maxActive: Type.Integer(),
  paused: Type.Boolean(),
});

export const queueSettingsBody = Type.Object(
  {
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    activeTtlSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400 })),
    paused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const queueSettings = Type.Object({
  queueId: Type.String(),
  maxActive: Type.Integer(),
  activeTtlSeconds: Type.Integer(),
  paused: Type.Boolean(),
});

export const jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      crv: Type.String(),
      x: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
    }),
  ),
});
