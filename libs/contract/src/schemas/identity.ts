import { Type, type Static } from 'typebox';
import { USER_ID_PATTERN } from '../ids.js';
import { timestamp } from './common.js';

/** `POST /dev/identity` (development identity provider only). */
export const devIdentityRequest = Type.Object(
  {
    userId: Type.String({
      pattern: USER_ID_PATTERN,
      description: 'Who to sign in as: 1–128 visible ASCII characters',
      examples: ['ann'],
    }),
  },
  { title: 'DevIdentityRequest', additionalProperties: false },
);
export type DevIdentityRequest = Static<typeof devIdentityRequest>;

export const identityGrant = Type.Object(
  {
    identityToken: Type.String({ description: 'A signed identity token (JWT); send it as `Authorization: Bearer`' }),
    expiresAt: timestamp('When the identity token stops being accepted'),
  },
  { title: 'IdentityGrant', additionalProperties: false },
);
export type IdentityGrant = Static<typeof identityGrant>;

/** The public keys tokens are signed with (RFC 7517). */
export const jsonWebKeySet = Type.Object(
  {
    keys: Type.Array(
      Type.Object({
        kty: Type.String(),
        kid: Type.String(),
        alg: Type.String(),
        use: Type.String(),
        crv: Type.Optional(Type.String()),
        x: Type.Optional(Type.String()),
        y: Type.Optional(Type.String()),
      }),
    ),
  },
  { title: 'JsonWebKeySet' },
);
export type JsonWebKeySet = Static<typeof jsonWebKeySet>;
