import t from 'tap';
import { queueKeys } from '@concert/queue';
import { admin, buildGateway } from './helper.js';

const jtiOf = (token: string) => Number(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti);

t.test('1,000 users each joining twice at the same moment: one token each, positions 1..N by arrival', async (t) => {
  const { app, redis, config, client, identityToken } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/rush', headers: admin, payload: { paused: true } });
  const gateway = await client();

  const users = Array.from({ length: 1000 }, (_, i) => `fan-${i}`);
  const identities = new Map(
    await Promise.all(users.map(async (userId) => [userId, await identityToken(userId)] as const)),
  );
  const join = async (userId: string) => {
    const { status, data } = await gateway.joinQueue('rush', identities.get(userId)!);
    return { userId, status, body: data };
  };
  const results = await Promise.all(users.flatMap((userId) => [join(userId), join(userId)]));

  t.equal(results.filter((r) => r.status === 201).length, 1000, 'exactly one new token per user');
  t.equal(results.filter((r) => r.status === 200).length, 1000, 'the second request got the existing one');
  const byUser = new Map<string, typeof results>();
  for (const result of results) byUser.set(result.userId, [...(byUser.get(result.userId) ?? []), result]);
  const sameToken = [...byUser.values()].every(
    ([a, b]) => a!.body.token === b!.body.token && a!.body.position === b!.body.position,
  );
  t.ok(sameToken, "both of a user's requests returned the same token and place");

  const firsts = [...byUser.values()].map(([a]) => a!.body);
  const positions = firsts.map((b) => b.position!).sort((a, b) => a - b);
  t.same(
    positions,
    Array.from({ length: 1000 }, (_, i) => i + 1),
    'positions are exactly 1..1000',
  );
  const byArrival = [...firsts].sort((a, b) => jtiOf(a.token) - jtiOf(b.token));
  t.ok(
    byArrival.every((b, i) => b.position === i + 1),
    'position order is arrival (token id) order',
  );

  const keys = queueKeys(config.REDIS_PREFIX, 'rush');
  t.equal(await redis.hlen(keys.users), 1000, '1,000 live tokens in Redis');
  t.equal(await redis.zcard(keys.waiting), 1000);
});

t.test('concurrent joins, leaves and ticks never push the active count above maxActive', async (t) => {
  const { app, redis, config, client, identityToken } = await buildGateway(t);
  const maxActive = 5;
  await app.inject({ method: 'PUT', url: '/admin/queues/busy', headers: admin, payload: { maxActive } });
  const gateway = await client();
  const keys = queueKeys(config.REDIS_PREFIX, 'busy');

  let running = true;
  let highest = 0;
  let samples = 0;
  const sampler = (async () => {
    while (running) {
      highest = Math.max(highest, await redis.zcard(keys.active));
      samples++;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const ticker = (async () => {
    while (running) {
      await app.waitingRoom.tick('busy');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();

  const fan = async (i: number) => {
    const identity = await identityToken(`fan-${i}`);
    for (let round = 0; round < 3; round++) {
      const { token } = (await gateway.joinQueue('busy', identity)).data;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      const left = await gateway.leaveQueue('busy', token);
      if (left.status !== 204) throw new Error(`leave answered ${left.status}`);
    }
  };
  await Promise.all(Array.from({ length: 200 }, (_, i) => fan(i)));
  running = false;
  await Promise.all([sampler, ticker]);

  t.ok(samples > 50, `sampled the active set often (${samples} samples)`);
  t.ok(highest <= maxActive, `active count peaked at ${highest}, never above ${maxActive}`);
  t.ok(highest > 0, 'people were admitted at all');
  t.equal(await redis.hlen(keys.users), 0, 'everybody left: no live tokens remain');
  t.equal(await redis.zcard(keys.active), 0);
});
