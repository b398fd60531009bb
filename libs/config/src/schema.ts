import { Type, type Static } from 'typebox';

const port = (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort });
const optionalText = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const pem = (what: string) => optionalText(`${what} as PEM text (\\n escapes allowed)`);
const file = (what: string) => optionalText(`the path of a file holding ${what} (PEM)`);
const url = (description: string) => Type.Optional(Type.String({ pattern: '^https?://\\S+$', description }));
/** A limit where 0 switches the limit off (load tests raise or disable limits this way). */
const perMinute = (defaultValue: number) =>
  Type.Integer({
    minimum: 0,
    maximum: 100_000_000,
    default: defaultValue,
    description: 'requests per minute; 0 = no limit',
  });

/**
 * Every setting any process of the system reads, with DESIGN.md's defaults. One schema for all
 * the apps: an operator configures the system, not each binary. Settings that only some apps
 * need are checked by that app at boot (see `requireSettings`).
 */
export const configSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String({ description: 'development, test or production' })),
  HOST: Type.String({ default: '0.0.0.0', description: 'the address to listen on' }),
  GATEWAY_PORT: port(3000),
  BOOKING_PORT: port(3001),
  WORKER_PORT: port(3002),
  WEB_PORT: port(3003),

  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    default: 'postgresql://postgres@127.0.0.1:5432/concert',
    description: 'a postgresql:// URL',
  }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20, description: 'an integer from 1 to 500' }),
  /** How long a request waits for a free pool connection, or for a new one, before it answers 503. */
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  /** A statement not done within this is cancelled (and a server that does not answer is given up on): 503. */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 1000 }),
  /**
   * Hot statements prepared once per connection. Set false behind PgBouncer in transaction mode
   * (before 1.21), which hands each transaction another server connection.
   */
  DATABASE_PREPARED_STATEMENTS: Type.Boolean({ default: true, description: 'true or false' }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379', description: 'a redis:// URL' }),
  /** A Redis Cluster's seed nodes, "host:port,host:port"; when set, used instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({ pattern: '^[^,:\\s]+:\\d+(,[^,:\\s]+:\\d+)*$', description: 'host:port[,host:port...]' }),
  ),
  /** Prefix of every Redis key the system writes; lets several deployments or tests share one Redis. */
  REDIS_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_.:-]{1,64}$',
    default: 'wr',
    description: '1–64 of A-Z a-z 0-9 _ . : -',
  }),
  /** A Redis command not answered within this answers 503 (never a hang). */
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),

  HOLD_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  MAX_HOLDS_PER_USER: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
  MAX_TICKETS_PER_USER: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }),
  MAX_CHARGE: Type.Integer({ minimum: 1, maximum: 2_000_000_000, default: 1_000_000 }),
  MAX_BALANCE: Type.Integer({ minimum: 1, maximum: 2_000_000_000, default: 100_000_000 }),
  REFUND_CUTOFF_HOURS: Type.Integer({ minimum: 0, maximum: 8760, default: 24 }),

  QUEUE_DEFAULT_MAX_ACTIVE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 }),
  QUEUE_DEFAULT_ACTIVE_TTL_SECONDS: Type.Integer({ minimum: 10, maximum: 86_400, default: 600 }),
  QUEUE_DEFAULT_ABANDON_AFTER_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 300 }),
  /** Hard upper bound (`exp`) of every queue token, whatever its state in Redis. */
  TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 86_400 }),

  TOKEN_PRIVATE_KEY: pem("the gateway's Ed25519 queue-token signing key"),
  TOKEN_PRIVATE_KEY_FILE: file("the gateway's Ed25519 queue-token signing key"),
  TOKEN_PUBLIC_KEY: pem('the public key queue tokens are checked with'),
  TOKEN_PUBLIC_KEY_FILE: file('the public key queue tokens are checked with'),
  /** Where booking reads the queue token keys when no public key is configured (the gateway's JWKS). */
  QUEUE_JWKS_URL: url("the gateway's /.well-known/jwks.json URL"),

  /**
   * Verified tokens remembered per process (signature checks are ~0.1–0.25 ms of CPU here; a hit
   * is ~0.02 ms). Size it to the live tokens one instance sees: every poll of a cached token is cheap.
   */
  TOKEN_VERIFY_CACHE_SIZE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 100_000 }),

  /** The fans' identity provider: its key set (JWKS URL) or its public key, its issuer and audience. */
  IDENTITY_JWKS_URL: url("the identity provider's JWKS URL"),
  IDENTITY_PUBLIC_KEY: pem("the identity provider's public key (RSA, P-256 or Ed25519)"),
  IDENTITY_PUBLIC_KEY_FILE: file("the identity provider's public key"),
  IDENTITY_ISSUER: optionalText('the `iss` identity tokens must carry'),
  IDENTITY_AUDIENCE: optionalText('the `aud` identity tokens must carry'),

  /** Development identity provider (`POST /dev/identity`); never with NODE_ENV=production. */
  DEV_IDENTITY: Type.Boolean({ default: false, description: 'true or false' }),
  DEV_IDENTITY_PRIVATE_KEY: pem("the development identity provider's Ed25519 signing key"),
  DEV_IDENTITY_PRIVATE_KEY_FILE: file("the development identity provider's Ed25519 signing key"),
  DEV_IDENTITY_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 43_200 }),

  ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 16, description: 'at least 16 characters' })),
  /** The admin key read from a file (a mounted secret); the loader puts its content in ADMIN_API_KEY. */
  ADMIN_API_KEY_FILE: optionalText('the path of a file holding the admin key'),
  /** Bull Board, the jobs UI, on the worker at /admin/jobs (behind the admin key, so it then needs one). */
  JOBS_BOARD: Type.Boolean({ default: true, description: 'true or false' }),

  /** Origins browsers may call the APIs from, comma-separated (`*` for any). */
  CORS_ORIGINS: Type.Optional(
    Type.String({ pattern: '^(\\*|https?://[^,\\s]+(,https?://[^,\\s]+)*)$', description: 'origin[,origin...] or *' }),
  ),
  /**
   * Whether to believe `X-Forwarded-For` (behind a load balancer): `true`, `false`, the number of
   * proxy hops, or a comma-separated list of proxy addresses/CIDRs.
   */
  TRUST_PROXY: Type.String({ default: 'false', pattern: '^(true|false|\\d+|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$' }),
  JOIN_RATE_LIMIT_PER_MINUTE: perMinute(30),
  ADDRESS_RATE_LIMIT_PER_MINUTE: perMinute(600),
  BOOKING_WRITE_RATE_LIMIT_PER_MINUTE: perMinute(120),
  /** Shed load (503) when the event loop lags more than this; 0 switches it off. */
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  /**
   * How often a gateway writes down who polled or streamed (one ZADD per queue, not one per poll);
   * well below the 30 s minimum grace. 0 switches presence off: only to measure what it costs.
   */
  PRESENCE_FLUSH_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: 1000 }),
  /**
   * How often a gateway re-reads a snapshot of each line it serves, from which it answers waiting
   * fans' polls and streams without a Redis call each (libs/queue/src/line-snapshot.ts). 0: every
   * poll asks Redis.
   */
  LINE_SNAPSHOT_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: 500 }),
  /** Event streams one gateway instance holds open at most; beyond, 503 (clients fall back to polls). */
  EVENT_STREAMS_PER_INSTANCE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 20_000 }),

  ADMIT_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  RELEASE_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  SWEEP_INTERVAL_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
  IDEMPOTENCY_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 8760, default: 24 }),

  /** Where the fans' site sends browsers (the public URLs of the APIs). */
  PUBLIC_GATEWAY_URL: url('the public URL of the gateway, as browsers reach it'),
  PUBLIC_BOOKING_URL: url('the public URL of booking, as browsers reach it'),
  /** Where the web app's built site is (default: the app's own `dist/public`). */
  WEB_STATIC_DIR: optionalText("the directory of the built fans' site and console (index.html, console/, assets/)"),

  /**
   * The promoter's OpenID provider, for the fans' site: authorization code + PKCE as a public
   * client. The APIs trust its tokens through IDENTITY_JWKS_URL / IDENTITY_ISSUER / IDENTITY_AUDIENCE.
   */
  OIDC_ISSUER: url("the OpenID provider's issuer URL (its /.well-known/openid-configuration is read)"),
  OIDC_CLIENT_ID: optionalText("the fans' site's client id at the OpenID provider (a public client, no secret)"),
  OIDC_SCOPE: Type.String({ default: 'openid', minLength: 1, description: 'the scopes asked for, space-separated' }),
  /** When set, the site asks for an access token for this audience and sends it instead of the ID token. */
  OIDC_AUDIENCE: optionalText('the API audience to ask an access token for (instead of using the ID token)'),

  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  LOG_PRETTY: Type.Boolean({ default: false }),
  /**
   * The contract check, for tests (libs/testing turns it on): an answer whose status or error code
   * its route's OpenAPI responses do not list is logged as an error and sent as 500 INTERNAL_ERROR.
   */
  CONTRACT_CHECK: Type.Boolean({ default: false, description: 'true or false' }),
  /**
   * OpenTelemetry tracing (read by `@concert/http/tracing`, loaded with `node --import` before the
   * app): off unless an OTLP/HTTP endpoint is set.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: url('an OTLP/HTTP collector, e.g. http://otel-collector:4318'),
  OTEL_SERVICE_NAME: optionalText('the service name traces carry (default: the app, e.g. gateway)'),
});

export type Config = Static<typeof configSchema>;
