export { resolveTestServices, publishTestServices, stopTestServices, type TestServices } from '@concert/test-services';
export { createTestDatabase, ensureTemplateDatabase, type TestDatabase } from './database.js';
export { createTestRedis, type TestRedis } from './redis.js';
export { setupTestContext, generateTestKeyPair, TEST_ADMIN_KEY, type TestContext } from './context.js';
export { createTokenIssuer } from './token-issuer.js';
