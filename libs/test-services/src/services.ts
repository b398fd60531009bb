import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TestServices = { databaseUrl: string; redisUrl: string; source: string };

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the global setup leaves the services it found, for every test process to read. */
export const SERVICES_FILE = join(WORKSPACE_ROOT, '.tap', 'test-services.json');

const LOCAL = { databaseUrl: 'postgresql://postgres@127.0.0.1:5432/postgres', redisUrl: 'redis://127.0.0.1:6379' };

function reachable(url: string, defaultPort: number, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const dockerAvailable = () =>
  existsSync('/var/run/docker.sock') ||
  Boolean(process.env.DOCKER_HOST) ||
  Boolean(process.env.TESTCONTAINERS_HOST_OVERRIDE);

/** Containers started by this process (global setup), stopped by `stopTestServices`. */
let containers: { stop(): Promise<unknown> }[] = [];

async function startContainers(): Promise<TestServices> {
  // Loaded only here: testcontainers pulls dependencies that want a newer Node than 20.
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const [postgres, redis] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').withDatabase('postgres').withUsername('postgres').start(),
    new RedisContainer('redis:7-alpine').start(),
  ]);
  containers = [postgres, redis];
  return { databaseUrl: postgres.getConnectionUri(), redisUrl: redis.getConnectionUrl(), source: 'testcontainers' };
}

/**
 * The PostgreSQL server and Redis the tests use: `TEST_DATABASE_URL` / `TEST_REDIS_URL` when set;
 * else the local services at their default addresses when they answer; else containers when a
 * Docker engine is there; else an error naming what to start. (The database in the URL is only
 * used to connect: each test file gets a database of its own.)
 */
export async function resolveTestServices(): Promise<TestServices> {
  if (process.env.TEST_DATABASE_URL || process.env.TEST_REDIS_URL) {
    return {
      databaseUrl: process.env.TEST_DATABASE_URL ?? LOCAL.databaseUrl,
      redisUrl: process.env.TEST_REDIS_URL ?? LOCAL.redisUrl,
      source: 'environment',
    };
  }
  if (existsSync(SERVICES_FILE)) {
    const found = JSON.parse(readFileSync(SERVICES_FILE, 'utf8')) as TestServices;
    if ((await reachable(found.databaseUrl, 5432)) && (await reachable(found.redisUrl, 6379))) return found;
  }
  const [pgUp, redisUp] = await Promise.all([reachable(LOCAL.databaseUrl, 5432), reachable(LOCAL.redisUrl, 6379)]);
  if (pgUp && redisUp) return { ...LOCAL, source: 'local' };
  if (dockerAvailable()) return startContainers();
  const missing = [!pgUp && 'PostgreSQL on 127.0.0.1:5432', !redisUp && 'Redis on 127.0.0.1:6379']
    .filter(Boolean)
    .join(' and ');
  throw new Error(
    `Tests need a real PostgreSQL and Redis. Start ${missing} (see PLATFORM.md / README "Testing"), ` +
      'or set TEST_DATABASE_URL and TEST_REDIS_URL, or run where a Docker engine is available.',
  );
}

/** Global setup: resolve once and leave the answer where every test process finds it. */
export async function publishTestServices(): Promise<TestServices> {
  const services = await resolveTestServices();
  mkdirSync(dirname(SERVICES_FILE), { recursive: true });
  writeFileSync(SERVICES_FILE, JSON.stringify(services));
  return services;
}

export async function stopTestServices() {
  await Promise.all(containers.map((container) => container.stop()));
  containers = [];
}
