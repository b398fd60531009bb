import t from 'tap';
import { createServer } from '@concert/http';
import { loadConfig } from '@concert/config';
import gateway from '../src/app.js';
import { deleteKeysUnder } from '@concert/testing';
import { admin, buildGateway } from './helper.js';

t.test('queue settings', async (t) => {
  const { app, config, join } = await buildGateway(t);
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
    const defaults = {
      queueId: 'tour',
      maxActive: config.QUEUE_DEFAULT_MAX_ACTIVE,
      activeTtlSeconds: config.QUEUE_DEFAULT_ACTIVE_TTL_SECONDS,
      paused: false,
      admitPerMinute: null,
      opensAt: null,
      abandonAfterSeconds: config.QUEUE_DEFAULT_ABANDON_AFTER_SECONDS,
      maxActivePerSeat: null,
    };
    t.same(created.json(), defaults);
    t.same((await put({ maxActive: 3 })).json(), { ...defaults, maxActive: 3 });
    t.same((await put({ activeTtlSeconds: 60, paused: true })).json(), {
      ...defaults,
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
      { abandonAfterSeconds: 10 },
      { maxActivePerSeat: 0 },
      { opensAt: 'tomorrow' },
      { unknownSetting: 1 },
    ]) {
      const response = await put(payload);
      t.equal(response.statusCode, 400, JSON.stringify(payload));
      t.equal(response.json().code, 'VALIDATION_ERROR');
    }
    t.match((await app.inject({ method: 'GET', url: '/queues/tour' })).json(), { maxActive: 3, paused: true });
  });

  t.test('while paused, tokens are issued but nobody is admitted', async (t) => {
    const joined = await join('tour', 'u-1');
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

t.test('operators list queues with live figures, and revoke a fan', async (t) => {
  const { app, join } = await buildGateway(t);
  const get = (url: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url, headers });
  await app.inject({ method: 'PUT', url: '/admin/queues/alpha', headers: admin, payload: { maxActive: 1 } });
  await app.inject({ method: 'PUT', url: '/admin/queues/beta', headers: admin, payload: {} });
  const first = await join('alpha', 'ann');
  await join('alpha', 'bob');

  const list = await get('/admin/queues');
  t.equal(list.statusCode, 200);
  t.same(
    list.json().map((q: { queueId: string }) => q.queueId),
    ['alpha', 'beta'],
    'every stored queue, by id',
  );
  t.match(list.json()[0], { queueId: 'alpha', maxActive: 1, active: 1, waiting: 1, queueStatus: 'OPEN' });
  t.match((await get('/admin/queues/beta')).json(), { queueId: 'beta', active: 0, waiting: 0 });
  t.equal((await get('/admin/queues/nope')).json().code, 'QUEUE_NOT_FOUND');
  t.equal((await get('/admin/queues', {})).statusCode, 401, 'the list needs the key too');
  t.equal((await get('/admin/queues', {})).headers['www-authenticate'], 'ApiKey header="X-Admin-Key"');

  const revoke = (userId: string) =>
    app.inject({ method: 'DELETE', url: `/admin/queues/alpha/users/${userId}`, headers: admin });
  t.equal((await revoke('ann')).statusCode, 204, 'the active fan is revoked');
  const poll = await app.inject({
    method: 'GET',
    url: '/queues/alpha/tokens/me',
    headers: { authorization: `Bearer ${first.json().token}` },
  });
  t.equal(poll.json().code, 'TOKEN_EXPIRED', 'their token is dead');
  t.match((await get('/admin/queues/alpha')).json(), { active: 1, waiting: 0 }, 'the freed place went to bob at once');
  const again = await revoke('ann');
  t.same([again.statusCode, again.json().code], [404, 'TOKEN_NOT_FOUND'], 'nothing left to revoke');
});

t.test('settings live in PostgreSQL: a queue Redis lost is restored on the next join', async (t) => {
  const { app, join, redis, config } = await buildGateway(t);
  await app.inject({
    method: 'PUT',
    url: '/admin/queues/durable',
    headers: admin,
    payload: { maxActive: 7, activeTtlSeconds: 90 },
  });
  const stored = await app.sql.query('SELECT max_active, active_ttl_seconds FROM queue WHERE id = $1', ['durable']);
  t.same(stored.rows, [{ max_active: 7, active_ttl_seconds: 90 }], 'stored durably');

  // Redis loses everything of the queue (a restart without persistence, a failover to an empty replica).
  await deleteKeysUnder(redis, config.REDIS_PREFIX);
  const joined = await join('durable', 'carol');
  t.equal(joined.statusCode, 201, 'the join works without any operator action');
  const figures = (await app.inject({ method: 'GET', url: '/queues/durable' })).json();
  t.match(figures, { maxActive: 7, active: 1 }, 'with the stored settings');
  t.same(await app.waitingRoom.queueIds(), ['durable'], 'registered again for the worker');
});

t.test('the gateway refuses to start without ADMIN_API_KEY', async (t) => {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'gateway', { logger: false });
  t.teardown(() => app.close());
  await t.rejects(async () => {
    await app.register(gateway, { config: loadConfig({ LOG_LEVEL: 'silent' }) });
    await app.ready();
  }, /ADMIN_API_KEY must be set/);
});
