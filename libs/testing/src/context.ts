import { generateKeyPairSync } from 'node:crypto';
import { loadConfig, type Config } from '@concert/config';
import type { Db, Sql } from '@concert/db';
import type { Redis } from 'ioredis';
import { resolveTestServices } from '@concert/test-services';
import { createTestDatabase } from './database.js';
import { createTestRedis } from './redis.js';

/** The slice of tap's `Test` the helpers need (kept structural so libs don't depend on tap's types). */
export type TapLike = { teardown(fn: () => unknown): void };

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';

/** A fresh Ed25519 key pair as PEM, so no test ever touches a real or local key. */
export function generateTestKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

export type TestContext = {
  config: Config;
  /** Plain environment form of `config`, for starting the apps as child processes. */
  env: Record<string, string>;
  redis: Redis;
  db: Db | undefined;
  sql: Sql | undefined;
};

/**
 * Everything one test file needs against the real services: its own database (when asked for),
 * its own Redis key prefix, a config pointing at both, and clean-up registered on `t`.
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

  const keys = generateTestKeyPair();
  const env: Record<string, string> = {
    DATABASE_URL: testDb?.url ?? services.databaseUrl,
    REDIS_URL: services.redisUrl,
    REDIS_PREFIX: testRedis.prefix,
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    TOKEN_PRIVATE_KEY: keys.privateKeyPem,
    TOKEN_PUBLIC_KEY: keys.publicKeyPem,
    LOG_LEVEL: 'silent',
    ...Object.fromEntries(Object.entries(opts.env ?? {}).map(([k, v]) => [k, String(v)])),
  };
  return { config: loadConfig(env), env, redis: testRedis.redis, db: testDb?.db, sql: testDb?.sql };
}
