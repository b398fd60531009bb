import t from 'tap';
import { createHash } from 'node:crypto';
import { drawOrder, queueKeys } from '@concert/queue';
import { deleteKeysUnder } from '@concert/testing';
import { admin, bearer, buildGateway } from './helper.js';

const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('a lobby with a verifiable draw, its seed kept in PostgreSQL', async (t) => {
  const { app, join, redis, config } = await buildGateway(t);
  const put = (payload: object) => app.inject({ method: 'PUT', url: '/admin/queues/tour', headers: admin, payload });
  const figures = async () => (await app.inject({ method: 'GET', url: '/queues/tour' })).json();
  const storedSeed = async () =>
    (await app.sql.query('SELECT draw_seed FROM queue WHERE id = $1', ['tour'])).rows[0].draw_seed as string | null;

  await put({ maxActive: 2 });
  t.equal(await storedSeed(), null, 'no opening, no seed');
  t.match(await figures(), { queueStatus: 'OPEN', opensAt: null, shuffleCommitment: null, shuffleSeed: null });

  const opensAtMs = Date.now() + 3000;
  const opensAt = new Date(opensAtMs).toISOString();
  t.match((await put({ opensAt })).json(), { opensAt, maxActive: 2 });
  const seed = (await storedSeed())!;
  t.match(seed, /^[0-9a-f]{64}$/, 'a secret 32-byte seed is drawn when opensAt is set');
  const before = await figures();
  t.match(before, { queueStatus: 'LOBBY', opensAt, shuffleCommitment: sha256(seed), shuffleSeed: null });
  t.notOk(JSON.stringify(before).includes(seed), 'the seed itself is nowhere to be seen');

  const fans = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'];
  const tokens = new Map<string, string>();
  for (const userId of fans) {
    const joined = await join('tour', userId);
    t.equal(joined.statusCode, 201);
    t.match(joined.json(), { status: 'WAITING', position: null, queueStatus: 'LOBBY', opensAt });
    tokens.set(userId, joined.json().token);
  }
  const poll = await app.inject({ method: 'GET', url: '/queues/tour/tokens/me', headers: bearer(tokens.get('ann')!) });
  t.match(poll.json(), { position: null, queueStatus: 'LOBBY' });
  t.ok(poll.json().etaSeconds >= 1 && poll.json().etaSeconds <= 3, 'etaSeconds counts down to the opening');
  t.equal(Number(poll.headers['retry-after']), poll.json().pollAfterSeconds);

  await put({ maxActive: 3 });
  await put({ opensAt: new Date(opensAtMs + 500).toISOString() });
  t.equal(await storedSeed(), seed, 'changing settings, even the opening, keeps the seed');
  t.equal((await figures()).shuffleCommitment, sha256(seed));

  // Redis loses everything: the next join restores the queue, with the same seed (the commitment holds).
  await deleteKeysUnder(redis, config.REDIS_PREFIX);
  for (const userId of fans) tokens.set(userId, (await join('tour', userId)).json().token);
  t.match(await figures(), { queueStatus: 'LOBBY', lobby: 6, shuffleCommitment: sha256(seed) });

  await sleep(opensAtMs + 500 - Date.now() + 20);
  await app.waitingRoom.tick('tour');
  const after = await figures();
  t.match(after, { queueStatus: 'OPEN', lobby: 0, active: 3, waiting: 3, shuffleSeed: seed });
  const order = drawOrder(after.shuffleSeed, fans);
  const pollAll = () =>
    Promise.all(
      order.map(async (userId) => {
        const response = await app.inject({
          method: 'GET',
          url: '/queues/tour/tokens/me',
          headers: bearer(tokens.get(userId)!),
        });
        return response.json();
      }),
    );
  // A gateway's line snapshot may predate the placing by up to LINE_SNAPSHOT_MS: "not placed yet"
  // (no position, not active) until the next one.
  let placements = await pollAll();
  for (let deadline = Date.now() + 3000; Date.now() < deadline; placements = await pollAll()) {
    if (placements.every((p) => p.status === 'ACTIVE' || p.position !== null)) break;
    await sleep(100);
  }
  t.same(
    placements.map((p) => p.position),
    [null, null, null, 1, 2, 3],
    'admitted and placed by ascending HMAC-SHA256(seed, userId)',
  );
  t.same(
    placements.map((p) => p.status),
    ['ACTIVE', 'ACTIVE', 'ACTIVE', 'WAITING', 'WAITING', 'WAITING'],
  );

  // A new opening later: a new seed.
  await put({ opensAt: new Date(Date.now() + 60_000).toISOString() });
  const next = (await storedSeed())!;
  t.not(next, seed, 'a later opening gets a fresh seed');
  t.match(await figures(), { queueStatus: 'LOBBY', shuffleCommitment: sha256(next), shuffleSeed: null });
});

t.test('operators see seats left and the totals', async (t) => {
  const { app, join, redis, config } = await buildGateway(t);
  await app.inject({
    method: 'PUT',
    url: '/admin/queues/sale',
    headers: admin,
    payload: { maxActive: 5, maxActivePerSeat: 1, admitPerMinute: 100, abandonAfterSeconds: 30 },
  });
  const keys = queueKeys(config.REDIS_PREFIX, 'sale');
  await redis.hset(keys.seats, 'left', 2, 'held', 0);
  const first = (await join('sale', 'ann')).json();
  await join('sale', 'bob');
  await join('sale', 'cat');
  await app.inject({ method: 'DELETE', url: '/queues/sale/tokens/me', headers: bearer(first.token) });
  await app.inject({ method: 'DELETE', url: '/admin/queues/sale/users/bob', headers: admin });

  const overview = (await app.inject({ method: 'GET', url: '/admin/queues/sale', headers: admin })).json();
  t.match(overview, {
    queueId: 'sale',
    maxActivePerSeat: 1,
    admitPerMinute: 100,
    abandonAfterSeconds: 30,
    seatsLeft: 2,
    active: 1,
    waiting: 0,
    admittedTotal: 3, // ann and bob at their joins, cat when ann left
    abandonedTotal: 0,
    admittedLastMinute: 3,
  });
  const list = (await app.inject({ method: 'GET', url: '/admin/queues', headers: admin })).json();
  t.match(list, [{ queueId: 'sale', seatsLeft: 2, admittedTotal: 3 }]);
  const open = (await app.inject({ method: 'GET', url: '/queues/sale' })).json();
  t.notOk('seatsLeft' in open || 'admittedTotal' in open, 'the public figures leave the operators’ extras out');
  t.equal((await app.waitingRoom.totals('sale')).revoked, 1);

  await redis.hset(keys.seats, 'left', 0);
  t.match((await app.inject({ method: 'GET', url: '/queues/sale' })).json(), { queueStatus: 'SOLD_OUT' });
});
