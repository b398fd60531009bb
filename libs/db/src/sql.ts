import pg from 'pg';

/**
 * The connection pool behind both Prisma (through its pg adapter) and the hot-path SQL of the
 * booking use cases, which run on `pg` directly: measured here, a query through Prisma 7's Wasm
 * engine costs several times the CPU of the same query through `pg` (see BENCHMARKS.md).
 */
export type Sql = pg.Pool;
/** What a statement runs on: the pool (autocommit) or a transaction's client. */
export type SqlExecutor = pg.Pool | pg.PoolClient;

export function createSqlPool(databaseUrl: string, opts: { poolSize?: number } = {}): Sql {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: opts.poolSize ?? 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: Sql, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The rows of one statement. */
export async function rows<T extends pg.QueryResultRow>(
  on: SqlExecutor,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return (await on.query<T>(text, values)).rows;
}
