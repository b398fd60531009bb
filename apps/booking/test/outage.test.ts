import t from 'tap';
import type { InjectOptions } from 'fastify';
import { freePort, hasRedisServer, startPrivateRedis } from '@concert/testing';
import { buildStack } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test(
  'Redis down: guarded routes answer 503 within 1.5 s; PostgreSQL-only routes carry on; it heals by itself',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: true });
    const stack = await buildStack(t, { REDIS_URL: redis.url });
    const { app, concert, schedules } = stack;
    const fan = await stack.fan('ann');
    const seats = `/concerts/${concert.id}/schedules/${schedules[0]!.id}/seats`;
    // appendfsync everysec: what was written in the last second before a crash may be lost
    // (the documented trade-off); the fan joined longer ago than that.
    await sleep(1200);
    await redis.kill();
    const requests: [string, InjectOptions][] = [
      ['seats', { method: 'GET', url: seats, headers: fan.headers }],
      [
        'hold',
        { method: 'POST', url: seats.replace('/seats', '/reservations'), headers: fan.headers, payload: { seatNo: 1 } },
      ],
      ['points', { method: 'GET', url: '/points', headers: fan.headers }],
      ['charge', { method: 'POST', url: '/points/charge', headers: fan.headers, payload: { amount: 10 } }],
    ];
    for (const [name, request] of requests) {
      const started = Date.now();
      const response = await app.inject(request);
      const took = Date.now() - started;
      t.same([response.statusCode, response.json().code], [503, 'SERVICE_UNAVAILABLE'], name);
      t.ok(took < 1500, `${name}: answered in ${took} ms`);
      t.ok(Number(response.headers['retry-after']) >= 1, `${name}: Retry-After`);
    }
    t.equal((await app.inject({ method: 'GET', url: '/concerts' })).statusCode, 200, 'the concert list needs no Redis');
    t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 503, 'not ready');

    // Back with its append-only file: the fan's token and place are still there.
    await redis.start();
    let status = 0;
    for (const deadline = Date.now() + 5000; Date.now() < deadline && status !== 200; await sleep(100)) {
      status = (await app.inject({ method: 'GET', url: seats, headers: fan.headers })).statusCode;
    }
    t.equal(status, 200, 'the same token works again, without restarting booking');
  },
);

t.test('PostgreSQL unreachable: 503 at once, never a hang or a 500', async (t) => {
  const closed = new URL('postgresql://postgres@127.0.0.1/concert');
  closed.port = String(await freePort());
  // Booking's own database is at a port nobody listens on (the test's seeding uses its real one).
  const { app, fan } = await buildStack(t, { DATABASE_URL: closed.toString() });
  const { headers } = await fan('ann');
  for (const [url, withToken] of [
    ['/concerts', false],
    ['/points', true],
    ['/health/ready', false],
  ] as const) {
    const started = Date.now();
    const response = await app.inject({ method: 'GET', url, ...(withToken ? { headers } : {}) });
    t.equal(response.statusCode, 503, url);
    t.ok(Date.now() - started < 1500, `${url}: answered in ${Date.now() - started} ms`);
  }
});
