import t from 'tap';
import { createServer } from '@concert/http';
import { loadConfig } from '@concert/config';
import gateway from '../src/app.js';
import { admin, buildGateway } from './helper.js';

t.test('queue settings', async (t) => {
  const { app, config } = await buildGateway(t);
  const put = (payload: unknown, headers: Record<string, string> = admin, queueId = 'tour') =>
    app.inject({ method: 'PUT', url: `/admin/queues/${queueId}`, headers, payload: payload as object });

  t.test('need the admin key', async (t) => {
    const refused: Record<string, string>[] = [
      {},
      { 'x-admin-key': 'wrong' },
      { 'x-admin-key': `${config.ADMIN_API_KEY}x` },
    ];
    for (const headers of refused) {
      const response = await put({ maxActive: 5 }, headers);
      t.equal(response.statusCode, 401);
      t.equal(response.json().code, 'ADMIN_KEY_INVALID');
    }
    t.equal((await app.inject({ method: 'GET', url: '/queues/tour' })).statusCode, 404, 'nothing was created');
  });

  t.test('create with defaults, then change one field at a time', async (t) => {
    const created = await put({});
    t.equal(created.statusCode, 200);
    t.same(created.json(), {
      queueId: 'tour',
      maxActive: config.QUEUE_DEFAULT_MAX_ACTIVE,
      activeTtlSeconds: config.QUEUE_DEFAULT_ACTIVE_TTL_SECONDS,
      paused: false,
    });
    t.same((await put({ maxActive: 3 })).json(), {
      queueId: 'tour',
      maxActive: 3,
      activeTtlSeconds: 600,
      paused: false,
    });
    t.same((await put({ activeTtlSeconds: 60, paused: true })).json(), {
      queueId: 'tour',
      maxActive: 3,
      activeTtlSeconds: 60,
      paused: true,
    });
    t.same(await app.waitingRoom.queueIds(), ['tour'], 'registered for the worker');
  });

  t.test('bad settings are 400 and change nothing', async (t) => {
    for (const payload of [
      { maxActive: 0 },
      { maxActive: -1 },
      { maxActive: 1.5 },
      { maxActive: '10' },
      { activeTtlSeconds: 1 },
      { activeTtlSeconds: 10_000_000 },
      { paused: 'yes' },
    ]) {
      const response = await put(payload);
      t.equal(response.statusCode, 400, JSON.stringify(payload));
      t.equal(response.json().code, 'VALIDATION_ERROR');
    }
    t.match((await app.inject({ method: 'GET', url: '/queues/tour' })).json(), { maxActive: 3, paused: true });
  });

  t.test('while paused, tokens are issued but nobody is admitted', async (t) => {
    const joined = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-1' } });
    t.equal(joined.statusCode, 201);
    t.match(joined.json(), { status: 'WAITING', position: 1 });
    t.same((await app.waitingRoom.tick('tour')).admitted, 0, 'a tick admits nobody');
    await put({ paused: false });
    t.same((await app.waitingRoom.tick('tour')).admitted, 1, 'unpaused, the tick admits');
    t.match((await app.inject({ method: 'GET', url: '/queues/tour' })).json(), {
      waiting: 0,
      active: 1,
      paused: false,
    });
  });
});

t.test('the gateway refuses to start without ADMIN_API_KEY', async (t) => {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'gateway', { logger: false });
  await t.rejects(async () => {
    await app.register(gateway, { config: loadConfig({ LOG_LEVEL: 'silent' }) });
    await app.ready();
  }, /ADMIN_API_KEY/);
});
