import t from 'tap';
import { queueKeys } from '@concert/queue';
import { admin, bearer, buildGateway, startGateway } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('polls are presence, written once per flush for everyone, not once per poll', async (t) => {
  const { app, join } = await buildGateway(t, { PRESENCE_FLUSH_MS: 10_000 });
  await app.inject({ method: 'PUT', url: '/admin/queues/busy', headers: admin, payload: { paused: true } });
  const tokens = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => (await join('busy', `fan-${i}`)).json().token),
  );
  const joinedAt = (await app.waitingRoom.lastSeen('busy', 'fan-7'))!;

  const writes: number[] = [];
  const markPresent = app.waitingRoom.markPresent;
  app.waitingRoom.markPresent = async (queueId, userIds) => {
    writes.push(userIds.length);
    return markPresent(queueId, userIds);
  };
  t.teardown(() => void (app.waitingRoom.markPresent = markPresent));

  await sleep(1100); // presence is kept to the second
  for (let round = 0; round < 5; round++) {
    const polls = await Promise.all(
      tokens.map((token) => app.inject({ method: 'GET', url: '/queues/busy/tokens/me', headers: bearer(token) })),
    );
    t.ok(polls.every((poll) => poll.statusCode === 200));
  }
  t.same(writes, [], '100 polls, no presence write yet');
  await app.presence.flush();
  t.same(writes, [20], 'one write of the 20 fans seen');
  t.ok((await app.waitingRoom.lastSeen('busy', 'fan-7'))! > joinedAt, 'their presence moved on');
});

t.test(
  'abandonment: the silent waiter is dropped after the grace, the polling and the streaming ones kept',
  async (t) => {
    const { app, join, redis, config } = await buildGateway(t, { PRESENCE_FLUSH_MS: 250 });
    const other = await startGateway(t, config);
    await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 1 } });
    // A grace shorter than the API's minimum (30 s), straight in Redis, so the test need not wait.
    const keys = queueKeys(config.REDIS_PREFIX, 'q');
    await redis.hset(keys.settings, 'abandonAfterSeconds', 2);
    // One after the other: the test relies on this arrival order (active first, then 1, 2, 3).
    const tokens: string[] = [];
    for (const userId of ['active', 'silent', 'polling', 'streaming'])
      tokens.push((await join('q', userId)).json().token);
    const [active, silent, polling, streaming] = tokens as [string, string, string, string];
    const poll = (token: string, via = app) =>
      via.inject({ method: 'GET', url: '/queues/q/tokens/me', headers: bearer(token) });

    // The worker's part, from two instances' waiting rooms: ticks every 100 ms.
    let running = true;
    const ticker = (async () => {
      while (running) {
        await Promise.all([app.waitingRoom.tick('q'), other.app.waitingRoom.tick('q')]);
        await sleep(100);
      }
    })();
    const poller = (async () => {
      while (running) {
        await poll(polling, other.app); // polls through the other instance
        await sleep(500);
      }
    })();
    const controller = new AbortController();
    const stream = other.client.streamToken('q', streaming, { signal: controller.signal });
    const events: unknown[] = [];
    const reader = (async () => {
      for await (const event of stream) events.push(event);
    })();

    await sleep(3500);
    const dropped = await poll(silent);
    t.same([dropped.statusCode, dropped.json().code], [401, 'TOKEN_EXPIRED'], 'the silent waiter is gone');
    t.match((await poll(polling)).json(), { status: 'WAITING', position: 1 }, 'the polling one moved up');
    t.match((await poll(streaming)).json(), { status: 'WAITING', position: 2 }, 'the streaming one is kept');
    t.match((await poll(active)).json(), { status: 'ACTIVE' }, 'an active fan is not abandoned');
    t.match((await app.inject({ method: 'GET', url: '/admin/queues/q', headers: admin })).json(), {
      waiting: 2,
      abandonedTotal: 1,
    });
    t.match(events.at(-1), { event: 'status', data: { position: 2 } }, 'the stream was told it moved up');

    running = false;
    controller.abort();
    await Promise.all([ticker, poller, reader]);
  },
);
