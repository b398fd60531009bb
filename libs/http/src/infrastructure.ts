/*
 * Telling an outage from a bug. An error that means PostgreSQL, Redis or another service this
 * process depends on is down, restarting, overloaded or cut off answers 503 with Retry-After (the
 * client should simply try again shortly); everything else unexpected is a 500 (a bug to fix).
 */

/** Network-level failures (Node system errors). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** PostgreSQL SQLSTATEs that mean "not now" rather than "never". */
function isTransientSqlState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources (too many connections, out of memory, disk full)
    code === '57P01' || // admin_shutdown (pg_terminate_backend, fast shutdown)
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up, recovering)
    code === '57014' || // query_canceled (statement timeout)
    code === '40001' || // serialization_failure: retrying succeeds
    code === '40P01' // deadlock_detected: retrying succeeds
  );
}

/**
 * Prisma's codes for an unreachable, saturated or conflicting database: can't reach (P1001), timed
 * out (P1002, P1008), connection closed (P1017), pool timeout (P2024), write conflict or deadlock
 * (P2034), too many connections (P2037).
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034', 'P2037']);

/**
 * Prisma 7's driver adapters describe the driver's error as a `kind` (in `meta.driverAdapterError.cause`):
 * a raw query that failed because the database went away is P2010, like a syntax error, so the
 * kind (or the SQLSTATE it carries) is what tells them apart.
 */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
  'TlsConnectionError',
]);

const MESSAGES = [
  // pg and pg-pool
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i, // "... unexpectedly", "... due to connection timeout"
  /^Query read timeout$/, // pg's query_timeout: the server did not answer (hung, or cut off)
  /terminating connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end/i,
  // ioredis
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Command timed out/i,
  /Reached the max retries per request limit/i,
  /Failed to refresh slots cache/i,
  /None of startup nodes is available/i,
  // Redis replies of a server that cannot take the command now
  // (OOM: used memory is over maxmemory; it answers again once memory is freed or raised.)
  /^(READONLY|LOADING|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|BUSY|NOREPLICAS|OOM|MOVED|ASK)\b/,
];

const NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError', 'TimeoutError']);

type ErrorLike = { code?: unknown; originalCode?: unknown; kind?: unknown; name?: unknown; message?: unknown };

function matchesOne(error: ErrorLike): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && (NETWORK_CODES.has(code) || PRISMA_CODES.has(code))) return true;
  for (const sqlState of [code, error.originalCode]) {
    if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState) && isTransientSqlState(sqlState)) return true;
  }
  if (typeof error.kind === 'string' && ADAPTER_KINDS.has(error.kind)) return true;
  if (typeof error.name === 'string' && NAMES.has(error.name)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return MESSAGES.some((pattern) => pattern.test(message));
}

/** What `error` wraps: `cause` (standard, pg, Prisma's adapter), `originalError`, Prisma's `meta.driverAdapterError`. */
function wrapped(error: object): unknown {
  const { cause, originalError, meta } = error as { cause?: unknown; originalError?: unknown; meta?: unknown };
  const adapterError =
    meta && typeof meta === 'object' ? (meta as { driverAdapterError?: unknown }).driverAdapterError : undefined;
  return cause ?? originalError ?? adapterError;
}

/**
 * Whether `error` (or any error it wraps) means a dependency is unavailable. Proven against the
 * errors real servers produce in e2e/test/faults/classification.test.ts.
 */
export function isInfrastructureError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
    if (matchesOne(current as ErrorLike)) return true;
    current = wrapped(current);
  }
  return false;
}

/** Seconds clients are asked to wait after a 503 caused by a dependency. */
export const OUTAGE_RETRY_AFTER_SECONDS = 1;
