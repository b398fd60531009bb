export { resolveTestServices, type TestServices } from '@concert/test-services';
export { createTestDatabase, ensureTemplateDatabase, type TestDatabase } from './database.js';
export { createTestRedis, deleteKeysUnder, type TestRedis } from './redis.js';
export {
  setupTestContext,
  testSystemEnv,
  generateTestKeyPair,
  createTestIdentityProvider,
  TEST_ADMIN_KEY,
  TEST_IDENTITY_ISSUER,
  TEST_IDENTITY_AUDIENCE,
  type TestContext,
  type TapLike,
} from './context.js';
export { createTokenIssuer } from './token-issuer.js';
export { startStack, freePort, type AppName, type Stack, type RunningApp, type UnexpectedExit } from './stack.js';
export { invariantViolations, NO_VIOLATIONS } from './invariants.js';
export { startPrivateRedis, hasRedisServer, type PrivateRedis } from './private-redis.js';
export { startPrivatePostgres, privatePostgresUnavailable, type PrivatePostgres } from './private-postgres.js';
export { untilAvailable, isUnavailable } from './until-available.js';
