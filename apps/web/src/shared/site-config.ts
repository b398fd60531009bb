import { Type, type Static } from 'typebox';

/** What the browser needs to know: where the APIs are, how fans sign in, and the public limits. */
export const siteConfig = Type.Object(
  {
    gatewayUrl: Type.String(),
    bookingUrl: Type.String(),
    devLogin: Type.Boolean({ description: 'The development identity provider is on (POST /dev/identity)' }),
    oidc: Type.Union([
      Type.Object({
        issuer: Type.String(),
        clientId: Type.String(),
        scope: Type.String(),
        audience: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ]),
    limits: Type.Object({
      holdSeconds: Type.Integer(),
      maxHoldsPerUser: Type.Integer(),
      maxTicketsPerUser: Type.Integer(),
      maxCharge: Type.Integer(),
      refundCutoffHours: Type.Integer(),
    }),
  },
  { title: 'SiteConfig', additionalProperties: false },
);
export type SiteConfig = Static<typeof siteConfig>;
