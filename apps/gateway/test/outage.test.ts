import t from 'tap';
import type { InjectOptions } from 'fastify';
import { freePort, hasRedisServer, startPrivateRedis } from '@concert/testing';
import { admin, bearer, buildGateway } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test(
  'Redis down: every endpoint answers 503 with Retry-After within 1.5 s, and heals by itself',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: false });
    const { app, asUser } = await buildGateway(t, { REDIS_URL: redis.url });
    await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 1 } });
    const token = (await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: await asUser('ann') })).json()
      .token as string;

    await redis.kill();
    const requests: [string, InjectOptions][] = [
      ['join', { method: 'POST', url: '/queues/q/tokens', headers: await asUser('bob') }],
      ['poll', { method: 'GET', url: '/queues/q/tokens/me', headers: bearer(token) }],
      ['leave', { method: 'DELETE', url: '/queues/q/tokens/me', headers: bearer(token) }],
      ['figures', { method: 'GET', url: '/queues/q' }],
      ['admin', { method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 2 } }],
      ['ready', { method: 'GET', url: '/health/ready' }],
    ];
    for (const [name, request] of requests) {
      const started = Date.now();
      const response = await app.inject(request);
      const took = Date.now() - started;
      t.equal(response.statusCode, 503, `${name}: 503`);
      t.ok(took < 1500, `${name}: answered in ${took} ms`);
      if (name !== 'ready') {
        t.equal(response.json().code, 'SERVICE_UNAVAILABLE', `${name}: the contract's code`);
        t.ok(Number(response.headers['retry-after']) >= 1, `${name}: Retry-After`);
      }
    }
    t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'the process lives on');

    // Redis comes back empty (no append-only file): the queue is restored from PostgreSQL.
    await redis.start();
    let joined = 0;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      joined = (await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: await asUser('carol') }))
        .statusCode;
      if (joined === 201) break;
      await sleep(100);
    }
    t.equal(joined, 201, 'joins work again without restarting the app or any operator action');
    t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200, 'ready again');
    t.match(
      (await app.inject({ method: 'GET', url: '/queues/q' })).json(),
      { maxActive: 2 },
      'with the saved settings',
    );
  },
);

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
