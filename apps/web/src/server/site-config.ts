import { requireSettings, type Config } from '@concert/config';
import type { SiteConfig } from '../shared/site-config.js';

const withoutSlash = (url: string) => url.replace(/\/+$/, '');

/** The web app's needs beyond the defaults: OIDC settings come as a pair. Throws ConfigError. */
export function checkWebConfig(config: Config) {
  requireSettings(config, [
    {
      settings: 'OIDC_CLIENT_ID',
      why: 'OIDC_ISSUER is set, and the site signs fans in there as this client',
      satisfied: (c) => !c.OIDC_ISSUER || Boolean(c.OIDC_CLIENT_ID),
    },
    {
      settings: 'OIDC_ISSUER',
      why: 'OIDC_CLIENT_ID is set, and names a client of that provider',
      satisfied: (c) => !c.OIDC_CLIENT_ID || Boolean(c.OIDC_ISSUER),
    },
  ]);
  return config;
}

/** `/config.json`, from the process configuration (public facts only: no key, no secret). */
export function siteConfigOf(config: Config): SiteConfig {
  return {
    gatewayUrl: withoutSlash(config.PUBLIC_GATEWAY_URL ?? `http://localhost:${config.GATEWAY_PORT}`),
    bookingUrl: withoutSlash(config.PUBLIC_BOOKING_URL ?? `http://localhost:${config.BOOKING_PORT}`),
    devLogin: config.DEV_IDENTITY,
    oidc:
      config.OIDC_ISSUER && config.OIDC_CLIENT_ID
        ? {
            issuer: config.OIDC_ISSUER,
            clientId: config.OIDC_CLIENT_ID,
            scope: config.OIDC_SCOPE,
            audience: config.OIDC_AUDIENCE ?? null,
          }
        : null,
    limits: {
      holdSeconds: config.HOLD_SECONDS,
      maxHoldsPerUser: config.MAX_HOLDS_PER_USER,
      maxTicketsPerUser: config.MAX_TICKETS_PER_USER,
      maxCharge: config.MAX_CHARGE,
      refundCutoffHours: config.REFUND_CUTOFF_HOURS,
    },
  };
}

/**
 * The Content-Security-Policy of every page: scripts, styles and images from this origin only,
 * no framing; the browser may talk to this origin and the two APIs (and, with OIDC, to the
 * provider's endpoints, which discovery may put on any https origin).
 */
export function contentSecurityPolicy(site: SiteConfig): string {
  const origins = new Set(["'self'", new URL(site.gatewayUrl).origin, new URL(site.bookingUrl).origin]);
  if (site.oidc) {
    origins.add(new URL(site.oidc.issuer).origin);
    origins.add('https:');
  }
  return [
    "default-src 'self'",
    `connect-src ${[...origins].join(' ')}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
