import { Type, type Static } from 'typebox';

const port = (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort });
const optionalText = () => Type.Optional(Type.String({ minLength: 1 }));

/**
 * Every setting any process of the system reads, with DESIGN.md's defaults. One schema for all
 * three apps: an operator configures the system, not each binary.
 */
export const configSchema = Type.Object({
  HOST: Type.String({ default: '0.0.0.0' }),
  GATEWAY_PORT: port(3000),
  BOOKING_PORT: port(3001),
  WORKER_PORT: port(3002),

  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    default: 'postgresql://postgres@127.0.0.1:5432/concert',
  }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  /** A Redis Cluster's seed nodes, "host:port,host:port"; when set, used instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ pattern: '^[^,:\\s]+:\\d+(,[^,:\\s]+:\\d+)*$' })),
  /** Prefix of every Redis key the system writes; lets several deployments or tests share one Redis. */
  REDIS_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', default: 'wr' }),

  HOLD_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  MAX_HOLDS_PER_USER: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
  MAX_CHARGE: Type.Integer({ minimum: 1, maximum: 2_000_000_000, default: 1_000_000 }),
  MAX_BALANCE: Type.Integer({ minimum: 1, maximum: 2_000_000_000, default: 100_000_000 }),

  QUEUE_DEFAULT_MAX_ACTIVE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 }),
  QUEUE_DEFAULT_ACTIVE_TTL_SECONDS: Type.Integer({ minimum: 10, maximum: 86_400, default: 600 }),
  /** Hard upper bound (`exp`) of every queue token, whatever its state in Redis. */
  TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 86_400 }),

  TOKEN_PRIVATE_KEY: optionalText(),
  TOKEN_PRIVATE_KEY_FILE: optionalText(),
  TOKEN_PUBLIC_KEY: optionalText(),
  TOKEN_PUBLIC_KEY_FILE: optionalText(),
  /** Local runs only: where a key pair is created once when no key is configured. */
  TOKEN_KEY_DIR: Type.String({ minLength: 1, default: '.keys' }),

  /**
   * Verified tokens remembered per process (signature checks are ~0.1–0.25 ms of CPU here; a hit
   * is ~0.02 ms). Size it to the live tokens one instance sees: every poll of a cached token is cheap.
   */
  TOKEN_VERIFY_CACHE_SIZE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 100_000 }),

  ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 16 })),

  ADMIT_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  RELEASE_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  HOUSEKEEPING_INTERVAL_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),

  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  LOG_PRETTY: Type.Boolean({ default: false }),
});

export type Config = Static<typeof configSchema>;
