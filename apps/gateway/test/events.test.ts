import t from 'tap';
import { queueKeys } from '@concert/queue';
import { ApiError, type PlacementEvent } from '@concert/contract';
import { admin, buildGateway, startGateway } from './helper.js';

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

t.test('the placement event stream', async (t) => {
  const { app, join, client, config, redis } = await buildGateway(t, { PRESENCE_FLUSH_MS: 200 });
  const other = await startGateway(t, config); // a second instance: admissions happen there
  await app.inject({ method: 'PUT', url: '/admin/queues/live', headers: admin, payload: { maxActive: 1 } });
  const gateway = await client();
  const channel = queueKeys(config.REDIS_PREFIX, 'live').events;
  const subscribers = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);

  const ann = (await join('live', 'ann')).json();
  const bob = (await join('live', 'bob')).json();
  t.equal(ann.status, 'ACTIVE');
  t.equal(bob.position, 1);

  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const stream = gateway.streamToken('live', bob.token, { signal: controller.signal })[Symbol.asyncIterator]();
  const next = async () => (await stream.next()).value as PlacementEvent;

  t.test('the placement at once', async (t) => {
    const first = await next();
    t.match(first, { event: 'status', data: { queueId: 'live', status: 'WAITING', position: 1, queueStatus: 'OPEN' } });
    t.ok(first.event === 'status' && first.data.pollAfterSeconds >= 1);
    t.same(app.eventStreams.hub.size(), { watchers: 1, queues: 1 });
    t.equal(await subscribers(), 1, 'one subscription for the queue');
  });

  t.test('ACTIVE pushed within 1.5 s of an admission made by another gateway', async (t) => {
    const started = Date.now();
    await other.client.leaveQueue('live', ann.token); // bob is admitted by the leave, in Redis
    const pushed = await next();
    const took = Date.now() - started;
    t.match(pushed, { event: 'status', data: { status: 'ACTIVE', position: null } });
    t.ok(took < 1500, `pushed ${took} ms after the admission`);
  });

  t.test('`end` when the token dies, then the stream closes', async (t) => {
    await other.client.leaveQueue('live', bob.token);
    t.same(await next(), { event: 'end', data: { reason: 'EXPIRED' } });
    t.equal((await stream.next()).done, true, 'nothing after the end');
    t.ok(await eventually(() => app.eventStreams.count() === 0), 'the stream is gone from the instance');
    t.ok(await eventually(async () => (await subscribers()) === 0), 'and the subscription with it');
  });

  t.test('errors before the stream opens are those of a poll', async (t) => {
    const url = `/queues/live/tokens/me/events`;
    const noToken = await app.inject({ method: 'GET', url });
    t.same([noToken.statusCode, noToken.json().code], [401, 'TOKEN_INVALID']);
    t.match(noToken.headers['content-type'], /application\/json/);
    t.ok(noToken.headers['www-authenticate']);
    const dead = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bob.token}` } });
    t.same([dead.statusCode, dead.json().code], [401, 'TOKEN_EXPIRED'], 'a token that left');
    const otherQueue = await app.inject({
      method: 'GET',
      url: '/queues/elsewhere/tokens/me/events',
      headers: { authorization: `Bearer ${bob.token}` },
    });
    t.equal(otherQueue.json().code, 'TOKEN_INVALID', 'a token of another queue');
    const unknown = await app.inject({ method: 'GET', url: `${url}?foo=1` });
    t.equal(unknown.json().code, 'VALIDATION_ERROR', 'unknown query parameters are refused');
    const thrown = await gateway
      .streamToken('live', bob.token)
      .next()
      .catch((error: unknown) => error);
    t.ok(thrown instanceof ApiError && thrown.code === 'TOKEN_EXPIRED', 'the client throws the ApiError');
  });

  t.test("the token in `?access_token=` (browsers' EventSource)", async (t) => {
    const carol = (await join('live', 'carol')).json();
    const controller = new AbortController();
    const response = await fetch(`${other.url}/queues/live/tokens/me/events?access_token=${carol.token}`, {
      signal: controller.signal,
    });
    t.equal(response.status, 200);
    t.match(response.headers.get('content-type'), /^text\/event-stream/);
    t.equal(response.headers.get('cache-control'), 'no-store');
    t.ok(response.headers.get('x-request-id'));
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    const text = new TextDecoder().decode(value);
    t.match(text, /^event: status\ndata: \{"queueId":"live","status":"ACTIVE"/);
    controller.abort();
    await reader.cancel().catch(() => {});
    await other.client.leaveQueue('live', carol.token);
  });

  t.test('many streams share one subscription; disconnecting leaves nothing behind', async (t) => {
    await app.inject({ method: 'PUT', url: '/admin/queues/live', headers: admin, payload: { paused: true } });
    const before = timeouts();
    // One after the other, so that fan-0 is first in line and everybody else is behind it.
    const fans: { token: string }[] = [];
    for (let i = 0; i < 30; i++) fans.push((await join('live', `fan-${i}`)).json());
    const controllers = fans.map(() => new AbortController());
    const firsts = await Promise.all(
      fans.map(async (fan, i) => {
        const events = gateway.streamToken('live', fan.token, { signal: controllers[i]!.signal });
        return (await events.next()).value as PlacementEvent;
      }),
    );
    t.ok(
      firsts.every((event) => event.event === 'status' && event.data.status === 'WAITING'),
      'each got its placement',
    );
    t.equal(app.eventStreams.count(), 30);
    t.same(app.eventStreams.hub.size(), { watchers: 30, queues: 1 });
    t.equal(await subscribers(), 1, '30 fans, one Redis subscription');

    // A change for all of them: each is told once (position moves up by one).
    const seen = new Map<number, PlacementEvent[]>();
    const readers = fans.map(async (fan, i) => {
      const events = gateway.streamToken('live', fan.token, { signal: controllers[i]!.signal });
      for await (const event of events) {
        if (process.env.DEBUG_EVENTS) console.log(i, Date.now() % 100000, event.event);
        seen.set(i, [...(seen.get(i) ?? []), event]);
      }
    });
    t.ok(await eventually(() => app.eventStreams.count() === 60), 'a second stream each');
    if (process.env.DEBUG_EVENTS) console.log('revoke', Date.now() % 100000);
    await app.inject({ method: 'DELETE', url: '/admin/queues/live/users/fan-0', headers: admin });
    t.ok(
      await eventually(() => [...seen.entries()].filter(([i]) => i > 0).every(([, list]) => list.length >= 2), 5000),
      'everybody behind the revoked fan was told',
    );

    t.ok(await eventually(() => seen.get(0)?.at(-1)?.event === 'end', 5000), 'the revoked fan was told it is over');
    // Updates are paced (at most one a second per fan): the move to the front may come after
    // an earlier update, so wait for it rather than expect it in the first two events.
    t.ok(
      await eventually(() => {
        const last = seen.get(1)?.at(-1);
        return last?.event === 'status' && (last.data as { position?: number }).position === 1;
      }, 5000),
      'the fan behind moved to the front',
    );

    controllers.forEach((controller) => controller.abort());
    await Promise.all(readers);
    t.ok(await eventually(() => app.eventStreams.count() === 0), 'every stream is cleaned up on disconnect');
    t.same(app.eventStreams.hub.size(), { watchers: 0, queues: 0 });
    t.ok(await eventually(async () => (await subscribers()) === 0), 'no subscription is left');
    // (A Redis command in flight has a timer of its own: the line snapshot's, say. Give it a moment.)
    t.ok(await eventually(() => timeouts() <= before), `no timer is left behind (${timeouts()} now, ${before} before)`);
  });

  t.test('an open stream counts as presence', async (t) => {
    const dave = (await join('live', 'dave')).json();
    const joinedAt = (await app.waitingRoom.lastSeen('live', 'dave'))!;
    // Presence is kept to the second, and written once per quarter grace: a first write in the
    // second of the join would show nothing.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const controller = new AbortController();
    const events = gateway.streamToken('live', dave.token, { signal: controller.signal });
    await events.next();
    t.ok(
      await eventually(async () => (await app.waitingRoom.lastSeen('live', 'dave'))! > joinedAt, 3000),
      'its presence is renewed without a single poll',
    );
    controller.abort();
  });

  t.test('the OpenAPI document describes the stream', async (t) => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const operation = document.paths['/queues/{queueId}/tokens/me/events'].get;
    t.equal(operation.operationId, 'streamToken');
    t.ok(operation.responses['200'].content['text/event-stream'], 'text/event-stream');
    t.ok(operation.parameters.some((p: { name: string; in: string }) => p.name === 'access_token' && p.in === 'query'));
    t.match(document.components.schemas, { PlacementEvent: {}, PlacementStatusEvent: {}, StreamEnd: {} });
  });
});
