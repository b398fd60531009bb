import t from 'tap';
import { randomUUID } from 'node:crypto';
import { resolveTestServices } from '@concert/test-services';
import { createRedis, createWaitingRoom, estimateWaitSeconds, queueKeys } from '../src/index.js';
import { queueSettings } from './settings.js';

t.test('every key of a queue shares its hash tag', async (t) => {
  const keys = Object.values(queueKeys('wr', 'tour-2027'));
  t.ok(keys.length >= 8);
  t.ok(
    keys.every((key) => key.startsWith('wr:{tour-2027}:')),
    'one cluster slot per queue',
  );
  t.equal(new Set(keys).size, keys.length, 'no two alike');
});

t.test('ETA: measured rate when there is one, else batches of maxActive per active TTL', async (t) => {
  t.equal(estimateWaitSeconds(100, { maxActive: 50, activeTtlSeconds: 600, admissionsPerSecond: 10 }), 10);
  t.equal(estimateWaitSeconds(1, { maxActive: 50, activeTtlSeconds: 600, admissionsPerSecond: 0.5 }), 2);
  t.equal(estimateWaitSeconds(1, { maxActive: 50, activeTtlSeconds: 600, admissionsPerSecond: 0 }), 600);
  t.equal(estimateWaitSeconds(50, { maxActive: 50, activeTtlSeconds: 600, admissionsPerSecond: 0 }), 600);
  t.equal(estimateWaitSeconds(51, { maxActive: 50, activeTtlSeconds: 600, admissionsPerSecond: 0 }), 1200);
});

t.test('the tick measures the admission rate the ETA uses', async (t) => {
  const { redisUrl } = await resolveTestServices();
  const config = { REDIS_PREFIX: `test:${randomUUID().slice(0, 8)}` };
  const redis = createRedis(redisUrl, { enableOfflineQueue: true });
  t.teardown(async () => {
    await redis.del(...Object.values(queueKeys(config.REDIS_PREFIX, 'r')), `${config.REDIS_PREFIX}:queues`);
    redis.disconnect();
  });
  const room = createWaitingRoom({ redis, prefix: config.REDIS_PREFIX });
  await room.configure('r', queueSettings({ maxActive: 2 }));
  for (let i = 0; i < 6; i++) await room.join('r', `u${i}`);
  await room.tick('r');
  const before = await room.join('r', 'u5');
  t.equal(before!.etaSeconds, 1200, 'no history yet: position 4 with batches of 2 every 600 s');
  for (let i = 0; i < 2; i++) {
    const active = await redis.zrange(queueKeys(config.REDIS_PREFIX, 'r').active, '0', '0');
    const tokenRef = (await redis.hget(queueKeys(config.REDIS_PREFIX, 'r').users, active[0]!))!.split(':');
    await room.remove('r', {
      userId: active[0]!,
      tokenId: String(parseInt(tokenRef[0]!, 36)),
      issuedAt: parseInt(tokenRef[1]!, 36),
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await room.tick('r');
  const rate = Number(await redis.hget(queueKeys(config.REDIS_PREFIX, 'r').stats, 'rate'));
  t.ok(rate > 0, `a rate is measured (${rate}/s)`);
  const after = await room.join('r', 'u5');
  t.equal(after!.position, 2);
  t.equal(after!.etaSeconds, Math.ceil(2 / rate), 'ETA = position / rate');
});

t.test('a stale measured rate is not used: the ETA falls back to capacity', async (t) => {
  const { redisUrl } = await resolveTestServices();
  const prefix = `test:${randomUUID().slice(0, 8)}`;
  const redis = createRedis(redisUrl, { enableOfflineQueue: true });
  t.teardown(async () => {
    await redis.del(...Object.values(queueKeys(prefix, 'r')), `${prefix}:queues`);
    redis.disconnect();
  });
  const room = createWaitingRoom({ redis, prefix });
  await room.configure('r', queueSettings({ maxActive: 1, paused: true }));
  await room.join('r', 'first');
  const stats = queueKeys(prefix, 'r').stats;
  await redis.hset(stats, 'rate', '10.000', 'rateAtMs', Date.now());
  t.equal((await room.join('r', 'second'))!.etaSeconds, 1, 'a fresh rate: 2 places at 10 a second');
  await redis.hset(stats, 'rateAtMs', Date.now() - 61_000); // the ticks stopped a minute ago
  t.equal((await room.join('r', 'second'))!.etaSeconds, 1200, 'an old rate is ignored: batches of 1 per 600 s');
});

t.test("booking's question: is this token live, is it active", async (t) => {
  const { redisUrl } = await resolveTestServices();
  const prefix = `test:${randomUUID().slice(0, 8)}`;
  const redis = createRedis(redisUrl, { enableOfflineQueue: true });
  t.teardown(async () => {
    await redis.del(...Object.values(queueKeys(prefix, 's')), `${prefix}:queues`);
    redis.disconnect();
  });
  const room = createWaitingRoom({ redis, prefix });
  await room.configure('s', queueSettings({ maxActive: 1 }));
  const ref = (userId: string, joined: { tokenId: string; issuedAt: number }) => ({ userId, ...joined });
  const active = ref('ann', (await room.join('s', 'ann'))!);
  const waiting = ref('bob', (await room.join('s', 'bob'))!);
  t.equal(await room.tokenState('s', active), 'ACTIVE');
  t.equal(await room.tokenState('s', waiting), 'WAITING');
  t.equal(
    await room.tokenState('s', { ...waiting, tokenId: String(Number(waiting.tokenId) + 7) }),
    null,
    'not its token',
  );
  await redis.zadd(queueKeys(prefix, 's').active, Date.now() - 1, 'ann'); // ann's turn is over
  t.equal(await room.tokenState('s', active), null, 'a turn that is over is not live');
  await room.remove('s', waiting);
  t.equal(await room.tokenState('s', waiting), null, 'a token that left');
});
