import { generateKeyPairSync } from 'node:crypto';
import { loadConfig, type Config } from '@concert/config';
import type { Db, Sql } from '@concert/db';
import type { Redis } from 'ioredis';
import { createDevIdentityIssuer } from '@concert/tokens';
import { resolveTestServices } from '@concert/test-services';
import { createTestDatabase } from './database.js';
import { createTestRedis } from './redis.js';

/** The slice of tap's `Test` the helpers need (kept structural so libs don't depend on tap's types). */
export type TapLike = { teardown(fn: () => unknown): void };

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';
export const TEST_IDENTITY_ISSUER = 'https://identity.test.invalid/';
export const TEST_IDENTITY_AUDIENCE = 'concert-tests';

/** A fresh Ed25519 key pair as PEM, so no test ever touches a real or local key. */
export function generateTestKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/**
 * An identity provider of the tests' own: signs identity tokens for any user with its key, as a
 * load tester with their own issuer key does. Its public key, issuer and audience are in the
 * test context's configuration.
 */
export function createTestIdentityProvider(privateKeyPem: string) {
  const issuer = createDevIdentityIssuer({
    privateKeyPem,
    issuer: TEST_IDENTITY_ISSUER,
    audience: TEST_IDENTITY_AUDIENCE,
    ttlSeconds: 3600,
  });
  return async (userId: string) => (await issuer.issue(userId)).identityToken;
}

/**
 * The settings a test (or bench) system runs with: fresh keys for queue tokens and for its own
 * identity provider, and no rate limits or load shedding (one client making many requests on a
 * busy machine). Returns the environment and a signer of identity tokens for it.
 */
export function testSystemEnv(opts: { databaseUrl: string; redisUrl: string; prefix: string; adminKey?: string }) {
  const queueKeys = generateTestKeyPair();
  const identityKeys = generateTestKeyPair();
  const env: Record<string, string> = {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    REDIS_PREFIX: opts.prefix,
    ADMIN_API_KEY: opts.adminKey ?? TEST_ADMIN_KEY,
    TOKEN_PRIVATE_KEY: queueKeys.privateKeyPem,
    TOKEN_PUBLIC_KEY: queueKeys.publicKeyPem,
    IDENTITY_PUBLIC_KEY: identityKeys.publicKeyPem,
    IDENTITY_ISSUER: TEST_IDENTITY_ISSUER,
    IDENTITY_AUDIENCE: TEST_IDENTITY_AUDIENCE,
    JOIN_RATE_LIMIT_PER_MINUTE: '0',
    ADDRESS_RATE_LIMIT_PER_MINUTE: '0',
    BOOKING_WRITE_RATE_LIMIT_PER_MINUTE: '0',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    LOG_LEVEL: 'silent',
  };
  return {
    env,
    identityToken: createTestIdentityProvider(identityKeys.privateKeyPem),
    identityPrivateKeyPem: identityKeys.privateKeyPem,
  };
}

export type TestContext = {
  config: Config;
  /** Plain environment form of `config`, for starting the apps as child processes. */
  env: Record<string, string>;
  redis: Redis;
  db: Db | undefined;
  sql: Sql | undefined;
  /** An identity token for `userId`, signed by the tests' identity provider. */
  identityToken(userId: string): Promise<string>;
  /** The identity provider's private key (to sign odd tokens in identity tests). */
  identityPrivateKeyPem: string;
};

/**
 * Everything one test file needs against the real services: its own database (when asked for),
 * its own Redis key prefix, the settings of `testSystemEnv`, a config pointing at all of it, and
 * clean-up registered on `t`.
 */
export async function setupTestContext(
  t: TapLike,
  opts: { database?: boolean; env?: Record<string, string | number | boolean> } = {},
): Promise<TestContext> {
  const services = await resolveTestServices();
  const testRedis = await createTestRedis(services.redisUrl);
  t.teardown(() => testRedis.cleanup());
  const testDb = opts.database ? await createTestDatabase(services.databaseUrl) : undefined;
  if (testDb) t.teardown(() => testDb.drop());

  const system = testSystemEnv({
    databaseUrl: testDb?.url ?? services.databaseUrl,
    redisUrl: services.redisUrl,
    prefix: testRedis.prefix,
  });
  const env: Record<string, string> = {
    ...system.env,
    // Every answer a test provokes is held to the OpenAPI documents (libs/http's error handler).
    CONTRACT_CHECK: 'true',
    ...Object.fromEntries(Object.entries(opts.env ?? {}).map(([k, v]) => [k, String(v)])),
  };
  return {
    config: loadConfig(env),
    env,
    redis: testRedis.redis,
    db: testDb?.db,
    sql: testDb?.sql,
    identityToken: system.identityToken,
    identityPrivateKeyPem: system.identityPrivateKeyPem,
  };
}
