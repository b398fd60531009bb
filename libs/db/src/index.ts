export { createPrismaClient, connectDatabase, type Db } from './client.js';
export {
  createSqlPool,
  inTransaction,
  rows,
  namedRows,
  withDatabaseBudget,
  type Sql,
  type SqlExecutor,
  type PoolOptions,
} from './sql.js';
export { ensureDatabase, dropDatabase } from './create-database.js';
export { migrate, readMigrations, MigrationError, MIGRATIONS_DIR, type MigrationFile } from './migrate.js';
export { seedDemoData, DEMO_CONCERT, DEMO_SEATS_PER_SCHEDULE } from './seed.js';
export {
  saveQueueSettings,
  storeQueueSettings,
  findQueueSettings,
  listQueueSettings,
  queueDefaultsOf,
  type QueueDefaults,
} from './queue-settings.js';
export { settleQueueDraw, findQueueDrawSeed } from './queue-draw.js';
export { databasePlugin } from './plugin.js';
export type * from './generated/prisma/client.js';
