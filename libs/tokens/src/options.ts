import { createPrivateKey, createPublicKey } from 'node:crypto';
import { checkAll, requireSettings, type Config } from '@concert/config';
import { readPem, signingKeyFrom, verificationKeyFrom, type SigningKey } from './keys.js';
import type { QueueTokenKeySource } from './queue-tokens.js';
import type { IdentityVerifierOptions } from './identity.js';

/** `iss` and `aud` of the development identity provider's tokens, unless configured otherwise. */
export const DEV_IDENTITY_ISSUER = 'urn:concert:dev-identity';
export const DEV_IDENTITY_AUDIENCE = 'concert';

export type TokensOptions = {
  /** The gateway signs queue tokens; other services only verify them. */
  signingKey?: SigningKey;
  queueKeys: QueueTokenKeySource;
  ttlSeconds: number;
  cacheSize: number;
  identity: IdentityVerifierOptions;
  /** The development identity provider, when DEV_IDENTITY=true (gateway only). */
  devIdentity?: { privateKeyPem: string; issuer: string; audience: string; ttlSeconds: number };
};

const devPrivatePem = (config: Config) =>
  readPem({ text: config.DEV_IDENTITY_PRIVATE_KEY, file: config.DEV_IDENTITY_PRIVATE_KEY_FILE });

function identityOptions(config: Config, opts: { canDeriveFromDevKey: boolean }): IdentityVerifierOptions {
  const dev = config.DEV_IDENTITY;
  const configuredKey = readPem({ text: config.IDENTITY_PUBLIC_KEY, file: config.IDENTITY_PUBLIC_KEY_FILE });
  const devKey = dev && opts.canDeriveFromDevKey ? devPrivatePem(config) : undefined;
  requireSettings(config, [
    {
      settings: 'IDENTITY_JWKS_URL or IDENTITY_PUBLIC_KEY or IDENTITY_PUBLIC_KEY_FILE',
      why: 'fans are who the identity provider says; its keys check their identity tokens',
      satisfied: (c) => Boolean(c.IDENTITY_JWKS_URL || configuredKey || devKey),
    },
    {
      settings: 'IDENTITY_ISSUER',
      why: 'identity tokens must come from the configured issuer',
      satisfied: (c) => Boolean(c.IDENTITY_ISSUER || dev),
    },
    {
      settings: 'IDENTITY_AUDIENCE',
      why: 'identity tokens must be meant for this system',
      satisfied: (c) => Boolean(c.IDENTITY_AUDIENCE || dev),
    },
  ]);
  return {
    jwksUrl: config.IDENTITY_JWKS_URL,
    publicKeyPem:
      configuredKey ??
      (devKey
        ? createPublicKey(createPrivateKey(devKey)).export({ format: 'pem', type: 'spki' }).toString()
        : undefined),
    issuer: config.IDENTITY_ISSUER ?? DEV_IDENTITY_ISSUER,
    audience: config.IDENTITY_AUDIENCE ?? DEV_IDENTITY_AUDIENCE,
    cacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
  };
}

/**
 * The gateway's credentials: it signs queue tokens (and checks them with its own public key),
 * checks identity tokens, and runs the development identity provider when DEV_IDENTITY=true.
 * Throws ConfigError naming every missing setting; it never creates keys of its own.
 */
export function gatewayTokensOptions(config: Config): TokensOptions {
  const signingPem = readPem({ text: config.TOKEN_PRIVATE_KEY, file: config.TOKEN_PRIVATE_KEY_FILE });
  const [, identity] = checkAll(
    () =>
      requireSettings(config, [
        {
          settings: 'TOKEN_PRIVATE_KEY or TOKEN_PRIVATE_KEY_FILE',
          why: 'the gateway signs queue tokens with it (npm start creates a local one; generate your own elsewhere)',
          satisfied: () => Boolean(signingPem),
        },
        {
          settings: 'DEV_IDENTITY_PRIVATE_KEY or DEV_IDENTITY_PRIVATE_KEY_FILE',
          why: 'DEV_IDENTITY=true signs development identity tokens with it',
          satisfied: (c) => !c.DEV_IDENTITY || Boolean(devPrivatePem(c)),
        },
      ]),
    () => identityOptions(config, { canDeriveFromDevKey: true }),
  );
  const signingKey = signingKeyFrom(signingPem!, 'TOKEN_PRIVATE_KEY');
  const devKey = config.DEV_IDENTITY ? devPrivatePem(config) : undefined;
  return {
    signingKey,
    queueKeys: { keys: [signingKey] },
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    cacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
    identity,
    devIdentity: devKey
      ? {
          privateKeyPem: devKey,
          issuer: identity.issuer,
          audience: identity.audience,
          ttlSeconds: config.DEV_IDENTITY_TTL_SECONDS,
        }
      : undefined,
  };
}

/**
 * Booking's credentials: it checks queue tokens with public keys only (configured, or the
 * gateway's JWKS) and identity tokens; it can never mint either.
 */
export function bookingTokensOptions(config: Config): TokensOptions {
  const publicPem = readPem({ text: config.TOKEN_PUBLIC_KEY, file: config.TOKEN_PUBLIC_KEY_FILE });
  const [, identity] = checkAll(
    () =>
      requireSettings(config, [
        {
          settings: 'QUEUE_JWKS_URL or TOKEN_PUBLIC_KEY or TOKEN_PUBLIC_KEY_FILE',
          why: "booking checks queue tokens with the gateway's public key",
          satisfied: (c) => Boolean(publicPem || c.QUEUE_JWKS_URL),
        },
      ]),
    () => identityOptions(config, { canDeriveFromDevKey: false }),
  );
  return {
    queueKeys: publicPem
      ? { keys: [verificationKeyFrom(publicPem, 'TOKEN_PUBLIC_KEY')] }
      : { jwksUrl: config.QUEUE_JWKS_URL! },
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    cacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
    identity,
  };
}
