import { connect } from 'node:net';

export type TestServices = {
  databaseUrl: string;
  redisUrl: string;
  source: 'environment' | 'local' | 'testcontainers';
};

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

const dockerAvailable = async () =>
  Boolean(process.env.DOCKER_HOST) || (await import('node:fs')).existsSync('/var/run/docker.sock');

/**
 * Starts PostgreSQL and Redis containers owned by the calling process: testcontainers' reaper
 * removes them once that process is gone, so the caller must outlive every test (scripts/test.ts).
 */
async function startContainers(): Promise<TestServices & { stop(): Promise<void> }> {
  // Loaded only here: testcontainers pulls dependencies that want a newer Node than 20.
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const [postgres, redis] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').withDatabase('postgres').withUsername('postgres').start(),
    new RedisContainer('redis:7-alpine').start(),
  ]);
  return {
    databaseUrl: postgres.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    source: 'testcontainers',
    async stop() {
      await Promise.all([postgres.stop(), redis.stop()]);
    },
  };
}

const MISSING_SERVICES =
  'Tests need a real PostgreSQL and Redis: start them (see PLATFORM.md / README "Test"), ' +
  'or set TEST_DATABASE_URL and TEST_REDIS_URL, or run `npm test` where a Docker engine is available.';

/**
 * The PostgreSQL server and Redis the tests use: `TEST_DATABASE_URL` / `TEST_REDIS_URL` when set
 * (`npm test` sets them when it started containers); else the local services at their default
 * addresses when they answer; else an error naming what to start. (The database in the URL is
 * only used to connect: each test file gets a database of its own.)
 */
export async function resolveTestServices(): Promise<TestServices> {
  if (process.env.TEST_DATABASE_URL || process.env.TEST_REDIS_URL) {
    return {
      databaseUrl: process.env.TEST_DATABASE_URL ?? LOCAL.databaseUrl,
      redisUrl: process.env.TEST_REDIS_URL ?? LOCAL.redisUrl,
      source: 'environment',
    };
  }
  const [pgUp, redisUp] = await Promise.all([reachable(LOCAL.databaseUrl, 5432), reachable(LOCAL.redisUrl, 6379)]);
  if (pgUp && redisUp) return { ...LOCAL, source: 'local' };
  const missing = [!pgUp && 'PostgreSQL on 127.0.0.1:5432', !redisUp && 'Redis on 127.0.0.1:6379'].filter(Boolean);
  throw new Error(`${missing.join(' and ')} not reachable. ${MISSING_SERVICES}`);
}

/**
 * For the test runner: the services as `resolveTestServices` finds them, or, when there are none
 * but a Docker engine is there, containers that live until `stop()`.
 */
export async function provideTestServices(): Promise<TestServices & { stop(): Promise<void> }> {
  try {
    return { ...(await resolveTestServices()), stop: async () => {} };
  } catch (error) {
    if (await dockerAvailable()) return startContainers();
    throw error;
  }
}
