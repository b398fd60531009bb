import { AsyncLocalStorage } from 'node:async_hooks';
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

/**
 * How long the database work of the code running now may take in all: a request's budget. Each
 * statement alone is bounded by the statement timeout, but a request may wait for a connection
 * and then run several statements; the budget bounds them together, from its first call to the
 * database, so the request answers (503) in time whatever the database does. It holds until
 * `over()`: work a request leaves running after it has answered (an event stream's refreshes) is
 * not bound by it.
 */
type Budget = { ms: number; over: () => boolean; deadline?: number };
const budgets = new AsyncLocalStorage<Budget>();

/**
 * Runs `work` (and everything it starts) with `budgetMs` for all its database work, counted from
 * its first call to the database, until `over()`.
 */
export function withDatabaseBudget<T>(budgetMs: number, work: () => T, over: () => boolean = () => false): T {
  return budgets.run({ ms: budgetMs, over }, work);
}

/** Milliseconds left of the current budget (its clock starts now if it has not yet); undefined without one. */
const timeLeftMs = () => {
  const budget = budgets.getStore();
  if (!budget || budget.over()) return undefined;
  budget.deadline ??= Date.now() + budget.ms;
  return budget.deadline - Date.now();
};

/** The budget ran out before a connection or an answer came: the database is down, hung or saturated (503). */
class DatabaseBudgetError extends Error {
  override name = 'TimeoutError';
  constructor() {
    super('the database did not serve this request within its time');
  }
}

type PoolConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void;

/**
 * pool.connect (both its forms; pool.query uses the callback one) bounded by the current budget:
 * once it is spent the caller fails, and a connection that comes later goes back to the pool at once.
 */
function boundConnect(pool: pg.Pool) {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const connectWithin = (ms: number) =>
    new Promise<pg.PoolClient>((resolve, reject) => {
      if (ms <= 0) return reject(new DatabaseBudgetError());
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new DatabaseBudgetError());
      }, ms);
      connect().then(
        (client) => {
          if (late) return client.release();
          clearTimeout(timer);
          resolve(client);
        },
        (error: Error) => {
          clearTimeout(timer);
          if (!late) reject(error);
        },
      );
    });
  pool.connect = ((callback?: PoolConnectCallback) => {
    const left = timeLeftMs();
    const connecting = left === undefined ? connect() : connectWithin(left);
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(undefined, client, () => client.release()),
      (error: Error) => callback(error, undefined, () => {}),
    );
  }) as typeof pool.connect;
}

/**
 * client.query bounded by the current budget: the client stops waiting for the answer when it is
 * spent (pg's `query_timeout` for that one statement, whose connection is then not reused), and
 * a statement is not even sent once it is.
 */
function boundQueries(client: pg.PoolClient, readTimeoutMs: number | undefined) {
  const query = client.query;
  client.query = function (this: pg.PoolClient, config: unknown, values?: unknown, callback?: unknown) {
    const left = timeLeftMs();
    // Streams (cursors) and calls without a budget run as they are.
    if (left === undefined || typeof (config as { submit?: unknown })?.submit === 'function') {
      return (query as (...args: unknown[]) => unknown).call(this, config, values, callback);
    }
    if (left <= 0) {
      const error = new DatabaseBudgetError();
      const done = typeof values === 'function' ? values : callback;
      if (typeof done === 'function') return void process.nextTick(done, error);
      return Promise.reject(error);
    }
    const query_timeout = Math.min(left, readTimeoutMs ?? Infinity);
    const bounded =
      typeof config === 'string' ? { text: config, query_timeout } : { ...(config as object), query_timeout };
    return (query as (...args: unknown[]) => unknown).call(this, bounded, values, callback);
  } as typeof client.query;
}

/**
 * The pool of a process. Its connections and statements keep to the budget of the code that
 * uses them (`withDatabaseBudget`: each request's), besides the per-statement timeouts.
 */
export function createSqlPool(databaseUrl: string, opts: PoolOptions = {}): Sql {
  const readTimeoutMs = opts.statementTimeoutMs ? opts.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS : undefined;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs, query_timeout: readTimeoutMs } : {}),
  });
  boundConnect(pool);
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
    boundQueries(client as pg.PoolClient, readTimeoutMs);
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

/** A ROLLBACK after the request's budget is spent gets this long of its own (the server answers it at once). */
const ROLLBACK_TIMEOUT_MS = CLIENT_TIMEOUT_MARGIN_MS;

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
    // Waiting for a ROLLBACK behind an unanswered statement would double the time to answer. A
    // budget spent between statements leaves a connection that answers: the ROLLBACK runs outside
    // it, briefly, so that connection can be reused.
    reusable =
      !isUnansweredQuery(error) &&
      (await budgets
        .exit(() => client.query({ text: 'ROLLBACK', query_timeout: ROLLBACK_TIMEOUT_MS } as pg.QueryConfig))
        .then(
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
