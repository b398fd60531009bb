import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { freePort, generateTestKeyPair, hasRedisServer, startPrivateRedis, type PrivateRedis } from '@concert/testing';
import { startJwksServer } from '@concert/tokens/testing';
import { admin, bearer, buildGateway } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noRedis = { skip: !hasRedisServer && 'redis-server is not installed' };

/** Limits on (the test context turns them off), so that their checks meet the outage too. */
const LIMITS_ON = { JOIN_RATE_LIMIT_PER_MINUTE: 1000, ADDRESS_RATE_LIMIT_PER_MINUTE: 1000 };

/**
 * A gateway on a private Redis with a queue, ann holding a place and the development login on;
 * every endpoint as a request, with the status it answers while Redis is out of reach.
 */
async function gatewayOnPrivateRedis(t: Test, redis: PrivateRedis) {
  const devKey = generateTestKeyPair();
  const gateway = await buildGateway(t, {
    REDIS_URL: redis.url,
    DEV_IDENTITY: 'true',
    DEV_IDENTITY_PRIVATE_KEY: devKey.privateKeyPem,
    ...LIMITS_ON,
  });
  const { app, asUser } = gateway;
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 1 } });
  const token = (await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: await asUser('ann') })).json()
    .token as string;
  const endpoints: [string, InjectOptions, number][] = [
    ['join', { method: 'POST', url: '/queues/q/tokens', headers: await asUser('bob') }, 503],
    ['poll', { method: 'GET', url: '/queues/q/tokens/me', headers: bearer(token) }, 503],
    ['event stream', { method: 'GET', url: '/queues/q/tokens/me/events', headers: bearer(token) }, 503],
    ['leave', { method: 'DELETE', url: '/queues/q/tokens/me', headers: bearer(token) }, 503],
    ['figures', { method: 'GET', url: '/queues/q' }, 503],
    ['admin change', { method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 2 } }, 503],
    ['admin list', { method: 'GET', url: '/admin/queues', headers: admin }, 503],
    ['admin queue', { method: 'GET', url: '/admin/queues/q', headers: admin }, 503],
    ['admin revoke', { method: 'DELETE', url: '/admin/queues/q/users/ann', headers: admin }, 503],
    ['ready', { method: 'GET', url: '/health/ready' }, 503],
    // The development login needs no Redis: its limits are skipped while Redis is out of reach.
    ['dev login', { method: 'POST', url: '/dev/identity', payload: { userId: 'carol' } }, 200],
    ['keys', { method: 'GET', url: '/.well-known/jwks.json' }, 200],
    ['live', { method: 'GET', url: '/health/live' }, 200],
  ];

  /** Every endpoint answers as listed, each within 1.5 s; a 503 in the contract's shape with Retry-After. */
  async function checkEveryEndpoint(t: Test) {
    for (const [name, request, expected] of endpoints) {
      const started = Date.now();
      const response = await app.inject(request);
      const took = Date.now() - started;
      t.equal(response.statusCode, expected, `${name}: ${expected}`);
      t.ok(took < 1500, `${name}: answered in ${took} ms`);
      if (expected === 503 && name !== 'ready') {
        t.equal(response.json().code, 'SERVICE_UNAVAILABLE', `${name}: the contract's code`);
        t.ok(Number(response.headers['retry-after']) >= 1, `${name}: Retry-After`);
      }
    }
  }

  /** Waits (with a deadline) until `userId` can join again. */
  async function joinsAgain(userId: string) {
    let status = 0;
    for (const deadline = Date.now() + 5000; Date.now() < deadline && status !== 201; await sleep(100)) {
      status = (await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: await asUser(userId) }))
        .statusCode;
    }
    return status;
  }
  return { ...gateway, checkEveryEndpoint, joinsAgain };
}

t.test(
  'Redis down: every endpoint answers within 1.5 s (503 where it needs Redis), and heals by itself',
  noRedis,
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: false });
    const { app, checkEveryEndpoint, joinsAgain } = await gatewayOnPrivateRedis(t, redis);

    await redis.kill();
    await checkEveryEndpoint(t);

    // Redis comes back empty (no append-only file): the queue is restored from PostgreSQL.
    await redis.start();
    t.equal(await joinsAgain('dan'), 201, 'joins work again without restarting the app or any operator action');
    t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200, 'ready again');
    t.match(
      (await app.inject({ method: 'GET', url: '/queues/q' })).json(),
      { maxActive: 2 },
      'with the saved settings',
    );
  },
);

t.test(
  'Redis hung (connections open, nothing answered): every endpoint answers within 1.5 s, then heals',
  noRedis,
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: false });
    const { app, checkEveryEndpoint, joinsAgain } = await gatewayOnPrivateRedis(t, redis);

    redis.pause();
    t.teardown(() => redis.resume());
    await checkEveryEndpoint(t);

    redis.resume();
    t.equal(await joinsAgain('dan'), 201, 'joins work again once Redis answers');
    const poll = await app.inject({ method: 'GET', url: '/health/ready' });
    t.equal(poll.statusCode, 200, 'ready again');
  },
);

t.test("the identity provider's JWKS hung: a join answers 503 within 1.5 s", async (t) => {
  const jwks = await startJwksServer(t);
  jwks.setHung(true);
  const { app, asUser } = await buildGateway(t, { IDENTITY_PUBLIC_KEY: '', IDENTITY_JWKS_URL: jwks.url });
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  const started = Date.now();
  const response = await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: await asUser('ann') });
  const took = Date.now() - started;
  t.same([response.statusCode, response.json().code], [503, 'SERVICE_UNAVAILABLE']);
  t.ok(Number(response.headers['retry-after']) >= 1, 'Retry-After');
  t.ok(took < 1500, `answered in ${took} ms`);
  t.equal(jwks.fetches(), 1, 'the provider was asked');
});

t.test('PostgreSQL unreachable: admin calls 503 at once; joins and polls carry on from Redis', async (t) => {
  const { app, config } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  // The same app, with its database at a port nobody listens on.
  const closed = new URL(config.DATABASE_URL);
  closed.port = String(await freePort());
  const cut = await buildGateway(t, { DATABASE_URL: closed.toString(), REDIS_PREFIX: config.REDIS_PREFIX });
  const started = Date.now();
  const put = await cut.app.inject({
    method: 'PUT',
    url: '/admin/queues/q',
    headers: admin,
    payload: { maxActive: 9 },
  });
  t.same([put.statusCode, put.json().code], [503, 'SERVICE_UNAVAILABLE']);
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`);
  const joined = await cut.app.inject({ method: 'POST', url: '/queues/q/tokens', headers: await cut.asUser('dan') });
  t.equal(joined.statusCode, 201, 'a join needs only Redis');
  const ready = await cut.app.inject({ method: 'GET', url: '/health/ready' });
  t.same(
    [ready.statusCode, ready.json().checks],
    [200, { redis: 'up', postgres: 'down' }],
    'still ready: PostgreSQL is reported, but joins and polls do not need it',
  );
});
