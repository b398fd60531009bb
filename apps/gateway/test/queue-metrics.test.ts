import t from 'tap';
import { createServer } from '@concert/http';
import { setupTestContext, TEST_ADMIN_KEY } from '@concert/testing';
import gateway from '../src/app.js';

type WithMetrics = { metrics: { getSingleMetric(name: string): unknown } };

/** The value of an unlabelled gauge in this app's registry. */
async function gaugeValue(app: WithMetrics, name: string) {
  const metric = app.metrics.getSingleMetric(name) as { get(): Promise<{ values: { value: number }[] }> };
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** The gauge once it reads `expected`, or its last value after `timeoutMs` (a closed socket is seen late on a busy machine). */
async function gaugeBecomes(app: WithMetrics, name: string, expected: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await gaugeValue(app, name);
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await gaugeValue(app, name);
  }
  return value;
}

/** Configures `queueId` with one active place and joins `userIds` in order (the first is admitted). */
async function openQueueWith(
  app: { inject: ReturnType<typeof createServer>['inject'] },
  identityToken: (userId: string) => Promise<string>,
  queueId: string,
  userIds: string[],
) {
  await app.inject({
    method: 'PUT',
    url: `/admin/queues/${queueId}`,
    headers: { 'x-admin-key': TEST_ADMIN_KEY },
    payload: { maxActive: 1 },
  });
  const tokens: string[] = [];
  for (const userId of userIds) {
    const joined = await app.inject({
      method: 'POST',
      url: `/queues/${queueId}/tokens`,
      headers: { authorization: `Bearer ${await identityToken(userId)}` },
    });
    tokens.push(joined.json().token as string);
  }
  return tokens;
}

t.test('open event streams are counted while they are open, on any gateway instance', async (t) => {
  const context = await setupTestContext(t, { database: true });
  const app = createServer(context.config, 'gateway', { logger: false });
  await app.register(gateway, { config: context.config });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    // A hijacked stream a client aborted keeps Node's server.close() waiting ~70 s (its
    // connection checks); the streams are over, so close their sockets at once.
    app.server.closeAllConnections();
    await app.close();
  });

  const tokens = await openQueueWith(app, context.identityToken, 'streams', ['ann', 'bob']);

  t.equal(await gaugeValue(app, 'waiting_room_event_streams'), 0);
  const streams = tokens.map((token) => {
    const controller = new AbortController();
    const response = fetch(`${url}/queues/streams/tokens/me/events?access_token=${encodeURIComponent(token)}`, {
      signal: controller.signal,
    }).then(async (r) => {
      const reader = r.body!.getReader();
      await reader.read(); // the first bytes: the stream is open
      return reader;
    });
    return { controller, response };
  });
  await Promise.all(streams.map((s) => s.response));
  t.equal(await gaugeValue(app, 'waiting_room_event_streams'), 2, 'two streams open');

  streams[0]!.controller.abort();
  t.equal(await gaugeBecomes(app, 'waiting_room_event_streams', 1), 1, 'a client that goes away is no longer counted');
  streams[1]!.controller.abort();
  t.equal(await gaugeBecomes(app, 'waiting_room_event_streams', 0), 0);
});

t.test(
  'placements are counted by where they came from: Redis before a snapshot, then an exact rank at the front',
  async (t) => {
    const context = await setupTestContext(t, { database: true });
    const config = { ...context.config, LINE_SNAPSHOT_MS: 100 };
    const app = createServer(config, 'gateway', { logger: false });
    await app.register(gateway, { config });
    await app.ready();
    t.teardown(() => app.close());
    const source = async (name: string) => {
      const metric = app.metrics.getSingleMetric('waiting_room_placements_total') as {
        get(): Promise<{ values: { value: number; labels: { source?: string } }[] }>;
      };
      return (await metric.get()).values.find((v) => v.labels.source === name)?.value ?? 0;
    };
    const snapshotReads = () => gaugeValue(app, 'waiting_room_line_snapshot_reads_total');

    // ann joins first (admitted); bob waits first in line.
    const [, waiter] = await openQueueWith(app, context.identityToken, 'placed', ['ann', 'bob']);
    const poll = async () => {
      const polled = await app.inject({
        url: '/queues/placed/tokens/me',
        headers: { authorization: `Bearer ${waiter}` },
      });
      return polled.json() as { status: string; position: number };
    };
    t.match(await poll(), { status: 'WAITING', position: 1 });
    const before = { redis: await source('redis'), exact: await source('exact_rank') };
    t.ok(before.redis >= 1, 'the first poll of a queue, with no snapshot yet, asked Redis');

    const deadline = Date.now() + 5000;
    while ((await snapshotReads()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.ok((await snapshotReads()) >= 1, 'a line snapshot was read');
    t.equal((await poll()).position, 1);
    t.equal(await source('exact_rank'), before.exact + 1, 'then a fan at the front got an exact rank');
    t.equal(await source('redis'), before.redis, 'without a status read');
  },
);
