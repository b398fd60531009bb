export { createPrismaClient, createDatabase, type Db } from './client.js';
export { createSqlPool, inTransaction, rows, type Sql, type SqlExecutor } from './sql.js';
export { ensureDatabase, dropDatabase } from './create-database.js';
export { migrate, readMigrations, MigrationError, MIGRATIONS_DIR, type MigrationFile } from './migrate.js';
export { seedDemoData, seedDemoSystem, DEMO_CONCERT, DEMO_SEATS_PER_SCHEDULE } from './seed.js';
export { prismaPlugin } from './plugin.js';
export type * from './generated/prisma/client.js';
