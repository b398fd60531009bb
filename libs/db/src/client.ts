import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';
import { createSqlPool, type PoolOptions, type Sql } from './sql.js';

/**
 * A Prisma client on the `pg` driver adapter (Prisma 7's Wasm engine: no native binary). Given
 * `pool`, Prisma shares it with the code that runs SQL on `pg` directly.
 */
export function createPrismaClient(databaseUrl: string, opts: { poolSize?: number; pool?: Sql } = {}) {
  const adapter = new PrismaPg(opts.pool ?? { connectionString: databaseUrl, max: opts.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}

/** Prisma and the raw pool over the same connections. Close with `close()`. */
export function connectDatabase(databaseUrl: string, opts: PoolOptions = {}) {
  const sql = createSqlPool(databaseUrl, opts);
  const db = createPrismaClient(databaseUrl, { pool: sql });
  return {
    db,
    sql,
    async close() {
      await db.$disconnect();
      await sql.end().catch(() => {});
    },
  };
}

export type Db = ReturnType<typeof createPrismaClient>;
