import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { freePort, hasRedisServer, startPrivateRedis, type PrivateRedis } from '@concert/testing';
import { buildStack } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noRedis = { skip: !hasRedisServer && 'redis-server is not installed' };

/**
 * Booking on a private Redis, the write limit on (the test context turns it off, and its check
 * meets the outage too), and a fan with a paid ticket, a live hold and a fresh token; every
 * endpoint as a request, with what it answers while Redis is out of reach.
 */
async function bookingOnPrivateRedis(t: Test, redis: PrivateRedis) {
  const stack = await buildStack(t, { REDIS_URL: redis.url, BOOKING_WRITE_RATE_LIMIT_PER_MINUTE: 1000 });
  const { app, concert, schedules, signedIn } = stack;
  const dates = `/concerts/${concert.id}/schedules`;
  const seats = `${dates}/${schedules[0]!.id}/seats`;
  const holds = `${dates}/${schedules[0]!.id}/reservations`;
  const payer = await stack.fan('ann');
  const hold = (seatNo: number, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: holds, headers, payload: { seatNo } });
  await app.inject({ method: 'POST', url: '/points/charge', headers: payer.headers, payload: { amount: 500_000 } });
  const paid = await app.inject({
    method: 'POST',
    url: '/payments',
    headers: payer.headers,
    payload: { reservationId: (await hold(1, payer.headers)).json().reservationId },
  });
  const paymentId = paid.json().paymentId as string;
  // Paying ended that token; the fan joins again and holds another seat.
  const { headers } = await stack.fan('ann');
  const reservationId = (await hold(2, headers)).json().reservationId as string;
  const endpoints: [string, InjectOptions, number][] = [
    ['schedules', { method: 'GET', url: dates, headers }, 503],
    ['seats', { method: 'GET', url: seats, headers }, 503],
    ['hold', { method: 'POST', url: holds, headers, payload: { seatNo: 3 } }, 503],
    ['reservations', { method: 'GET', url: '/reservations', headers }, 503],
    ['reservation', { method: 'GET', url: `/reservations/${reservationId}`, headers }, 503],
    ['cancel', { method: 'DELETE', url: `/reservations/${reservationId}`, headers }, 503],
    ['points', { method: 'GET', url: '/points', headers }, 503],
    ['charge', { method: 'POST', url: '/points/charge', headers, payload: { amount: 10 } }, 503],
    ['ledger', { method: 'GET', url: '/points/transactions', headers }, 503],
    ['pay', { method: 'POST', url: '/payments', headers, payload: { reservationId } }, 503],
    ['payments', { method: 'GET', url: '/payments', headers }, 503],
    ['payment', { method: 'GET', url: `/payments/${paymentId}`, headers }, 503],
    ['refund', { method: 'POST', url: `/payments/${paymentId}/refund`, headers }, 503],
    ['ready', { method: 'GET', url: '/health/ready' }, 503],
    // What needs only PostgreSQL carries on: the concert list, a fan's records by identity token.
    ['concerts', { method: 'GET', url: '/concerts' }, 200],
    ['payments by identity token', { method: 'GET', url: '/payments', headers: await signedIn('ann') }, 200],
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

  /** Waits (with a deadline) until the fan's token works again. */
  async function servesAgain() {
    let status = 0;
    for (const deadline = Date.now() + 5000; Date.now() < deadline && status !== 200; await sleep(100)) {
      status = (await app.inject({ method: 'GET', url: seats, headers })).statusCode;
    }
    return status;
  }
  return { ...stack, checkEveryEndpoint, servesAgain };
}

t.test(
  'Redis down: every endpoint answers within 1.5 s (503 where it needs Redis); it heals by itself',
  noRedis,
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: true });
    const { checkEveryEndpoint, servesAgain } = await bookingOnPrivateRedis(t, redis);
    // appendfsync everysec: what was written in the last second before a crash may be lost
    // (the documented trade-off); the fan joined longer ago than that.
    await sleep(1200);
    await redis.kill();
    await checkEveryEndpoint(t);

    // Back with its append-only file: the fan's token and place are still there.
    await redis.start();
    t.equal(await servesAgain(), 200, 'the same token works again, without restarting booking');
  },
);

t.test(
  'Redis hung (connections open, nothing answered): every endpoint answers within 1.5 s, then heals',
  noRedis,
  async (t) => {
    const redis = await startPrivateRedis(t, { appendonly: false });
    const { checkEveryEndpoint, servesAgain } = await bookingOnPrivateRedis(t, redis);
    redis.pause();
    t.teardown(() => redis.resume());
    await checkEveryEndpoint(t);
    redis.resume();
    t.equal(await servesAgain(), 200, 'the same token works again once Redis answers');
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
