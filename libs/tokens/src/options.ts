import { checkAll, ConfigError, requireSettings, type Config } from '@concert/config';
import {
  identityKeyFrom,
  readKeySetting,
  signingKeyFrom,
  verificationKeyFrom,
  type KeySetting,
  type SigningKey,
} from './keys.js';
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

/**
 * A key setting's key, parsed with `parse` (which names the setting when the key is no good), or
 * undefined when it is not set. Every key is read and parsed here, at boot: a bad one stops the
 * process with one line naming the variable, never a stack trace later.
 */
function configuredKey<T>(config: Config, name: KeySetting, parse: (pem: string, setting: string) => T): T | undefined {
  const configured = readKeySetting(config, name);
  return configured && parse(configured.pem, configured.setting);
}

/** `configuredKey`, and a ConfigError (`<NAME> or <NAME>_FILE must be set: <why>`) when it is not set. */
function requiredKey<T>(config: Config, name: KeySetting, why: string, parse: (pem: string, setting: string) => T): T {
  const key = configuredKey(config, name, parse);
  requireSettings(config, [{ settings: `${name} or ${name}_FILE`, why, satisfied: () => key !== undefined }]);
  return key!;
}

/** A JWKS URL setting, checked to be one `URL` accepts (the schema's pattern lets odd hosts through). */
function jwksUrlOf(config: Config, name: 'IDENTITY_JWKS_URL' | 'QUEUE_JWKS_URL'): string | undefined {
  const value = config[name];
  if (value && !URL.canParse(value)) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is not valid: expected an http(s) URL`);
  }
  return value;
}

/** Where identity tokens are checked: the provider's JWKS or key (the dev key may stand in), issuer, audience. */
function identitySettings(config: Config, opts: { devKeyMayStandIn: boolean }) {
  const devKeyStandsIn = opts.devKeyMayStandIn && config.DEV_IDENTITY;
  const [jwksUrl, publicKeyPem] = checkAll(
    () => jwksUrlOf(config, 'IDENTITY_JWKS_URL'),
    () => configuredKey(config, 'IDENTITY_PUBLIC_KEY', identityKeyFrom),
    () =>
      requireSettings(config, [
        {
          settings: 'IDENTITY_JWKS_URL or IDENTITY_PUBLIC_KEY or IDENTITY_PUBLIC_KEY_FILE',
          why: 'fans are who the identity provider says; its keys check their identity tokens',
          satisfied: (c) =>
            Boolean(
              c.IDENTITY_JWKS_URL ||
              c.IDENTITY_PUBLIC_KEY ||
              c.IDENTITY_PUBLIC_KEY_FILE ||
              (devKeyStandsIn && (c.DEV_IDENTITY_PRIVATE_KEY || c.DEV_IDENTITY_PRIVATE_KEY_FILE)),
            ),
        },
        {
          settings: 'IDENTITY_ISSUER',
          why: 'identity tokens must come from the configured issuer',
          satisfied: (c) => Boolean(c.IDENTITY_ISSUER || c.DEV_IDENTITY),
        },
        {
          settings: 'IDENTITY_AUDIENCE',
          why: 'identity tokens must be meant for this system',
          satisfied: (c) => Boolean(c.IDENTITY_AUDIENCE || c.DEV_IDENTITY),
        },
      ]),
  );
  return {
    jwksUrl,
    publicKeyPem,
    issuer: config.IDENTITY_ISSUER ?? DEV_IDENTITY_ISSUER,
    audience: config.IDENTITY_AUDIENCE ?? DEV_IDENTITY_AUDIENCE,
    cacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
  } satisfies IdentityVerifierOptions;
}

/**
 * The gateway's credentials: it signs queue tokens (and checks them with its own public key),
 * checks identity tokens, and runs the development identity provider when DEV_IDENTITY=true.
 * Throws ConfigError naming every missing or bad setting; it never creates keys of its own.
 */
export function gatewayTokensOptions(config: Config): TokensOptions {
  const [signingKey, devKey, identity] = checkAll(
    () =>
      requiredKey(
        config,
        'TOKEN_PRIVATE_KEY',
        'the gateway signs queue tokens with it (npm start creates a local one; generate your own elsewhere)',
        signingKeyFrom,
      ),
    () =>
      config.DEV_IDENTITY
        ? requiredKey(
            config,
            'DEV_IDENTITY_PRIVATE_KEY',
            'DEV_IDENTITY=true signs development identity tokens with it',
            signingKeyFrom,
          )
        : undefined,
    () => identitySettings(config, { devKeyMayStandIn: true }),
  );
  return {
    signingKey,
    queueKeys: { keys: [signingKey] },
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    cacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
    // Without a provider of its own configured, the gateway trusts its development login.
    identity: { ...identity, publicKeyPem: identity.publicKeyPem ?? devKey?.publicKeyPem },
    devIdentity: devKey
      ? {
          privateKeyPem: devKey.privateKeyPem,
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
  const [queueKeys, identity] = checkAll(
    (): QueueTokenKeySource => {
      const [publicKey, jwksUrl] = checkAll(
        () => configuredKey(config, 'TOKEN_PUBLIC_KEY', verificationKeyFrom),
        () => jwksUrlOf(config, 'QUEUE_JWKS_URL'),
      );
      requireSettings(config, [
        {
          settings: 'QUEUE_JWKS_URL or TOKEN_PUBLIC_KEY or TOKEN_PUBLIC_KEY_FILE',
          why: "booking checks queue tokens with the gateway's public key",
          satisfied: () => Boolean(publicKey || jwksUrl),
        },
      ]);
      return publicKey ? { keys: [publicKey] } : { jwksUrl: jwksUrl! };
    },
    () => identitySettings(config, { devKeyMayStandIn: false }),
  );
  return {
    queueKeys,
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    cacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
    identity,
  };
}
