import pg from 'pg';

/**
 * The connection pool behind both Prisma (through its pg adapter) and the hot-path SQL of the
 * booking use cases, which run on `pg` directly: measured here, a query through Prisma 7's Wasm
 * engine costs several times the CPU of the same query through `pg` (see BENCHMARKS.md).
 */
export type Sql = pg.Pool;
/** What a statement runs on: the pool (autocommit) or a transaction's client. */
export type SqlExecutor = pg.Pool | pg.PoolClient;

export type PoolOptions = {
  poolSize?: number;
  /** How long to wait for a free connection (or a new one) before failing (then: 503, not a hang). */
  connectTimeoutMs?: number;
  /**
   * A statement running longer than this is cancelled by the server (`statement_timeout`, which
   * also ends lock waits), and one the server does not answer at all (hung, or cut off without a
   * reset) fails on the client shortly after (`query_timeout`). Either way: 503, not a hang.
   * Unset: no limit (tests' and scripts' own pools).
   */
  statementTimeoutMs?: number;
  /** Told about connections that broke (a restart, `pg_terminate_backend`): logging only. */
  onConnectionError?: (error: Error) => void;
  /**
   * Whether hot statements are prepared by name (`namedRows`): parsed and planned once per
   * connection. Off behind a pooler that hands each transaction another server connection
   * (PgBouncer in transaction mode before 1.21), where a prepared name would not be found.
   */
  preparedStatements?: boolean;
};

/** Where a pool and its clients carry their `preparedStatements` setting. */
const PREPARED = Symbol('preparedStatements');
type Prepared = { [PREPARED]?: boolean };

/** How much longer than the server's statement_timeout the client waits before giving up on an answer. */
const CLIENT_TIMEOUT_MARGIN_MS = 250;

export function createSqlPool(databaseUrl: string, opts: PoolOptions = {}): Sql {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    ...(opts.statementTimeoutMs
      ? {
          statement_timeout: opts.statementTimeoutMs,
          query_timeout: opts.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
        }
      : {}),
  });
  const onError = opts.onConnectionError ?? (() => {});
  // pg emits `error` on a client whose server connection ends; without a listener that error
  // kills the process. The pool listens only while a client is idle, so every client gets a
  // listener of its own for its whole life (checked out in a transaction included): the query in
  // flight then fails with the connection error, which answers 503, and the pool replaces it.
  pool.on('error', onError);
  const prepared = opts.preparedStatements ?? true;
  (pool as Prepared)[PREPARED] = prepared;
  pool.on('connect', (client) => {
    client.on('error', onError);
    (client as Prepared)[PREPARED] = prepared;
  });
  return pool;
}

/**
 * The rows of a hot-path statement, prepared under `name` once per connection (where the pool
 * allows prepared statements; else sent as it is). A name stands for one text.
 */
export async function namedRows<T extends pg.QueryResultRow>(
  on: SqlExecutor,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const query = (on as Prepared)[PREPARED] === false ? { text, values } : { name, text, values };
  return (await on.query<T>(query)).rows;
}

/** pg's own error when `query_timeout` passes: the statement may still be running on that connection. */
const isUnansweredQuery = (error: unknown) => (error as Error | undefined)?.message === 'Query read timeout';

/**
 * Runs `work` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws.
 * A connection that cannot be rolled back cleanly (cut off, or its server stopped answering) is
 * destroyed rather than returned to the pool; the server rolls back a transaction whose
 * connection ends.
 */
export async function inTransaction<T>(pool: Sql, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let reusable = true;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // Waiting for a ROLLBACK behind an unanswered statement would double the time to answer.
    reusable =
      !isUnansweredQuery(error) &&
      (await client.query('ROLLBACK').then(
        () => true,
        () => false,
      ));
    throw error;
  } finally {
    client.release(!reusable);
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
