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

/** Prisma's codes for an unreachable or saturated database. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

const MESSAGES = [
  // pg and pg-pool
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
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
  /^(READONLY|LOADING|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|BUSY|NOREPLICAS|MOVED|ASK)\b/,
];

const NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError', 'TimeoutError']);

function matchesOne(error: { code?: unknown; name?: unknown; message?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && (NETWORK_CODES.has(code) || PRISMA_CODES.has(code))) return true;
  if (code && /^[0-9A-Z]{5}$/.test(code) && isTransientSqlState(code)) return true;
  if (typeof error.name === 'string' && NAMES.has(error.name)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return MESSAGES.some((pattern) => pattern.test(message));
}

/** Whether `error` (or any error it wraps, via `cause`) means a dependency is unavailable. */
export function isInfrastructureError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    if (matchesOne(current as Record<string, unknown>)) return true;
    const { cause, originalError } = current as { cause?: unknown; originalError?: unknown };
    current = cause ?? originalError;
  }
  return false;
}

/** Seconds clients are asked to wait after a 503 caused by a dependency. */
export const OUTAGE_RETRY_AFTER_SECONDS = 1;
