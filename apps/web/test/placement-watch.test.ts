/**
 * The fans' page follows its place over the event stream and falls back to paced polls. Against
 * a small HTTP server speaking the contract's stream and poll (DESIGN "push" and "poll"), so each
 * case (stream there, absent, dropping; polls refused) can be produced on demand.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { createGatewayClient, type Placement } from '@concert/contract';
import { watchPlacement, type WatchEvent } from '../src/client/fan/placement-watch.js';

const placement = (position: number | null, status: Placement['status'] = 'WAITING'): Placement => ({
  queueId: 'q',
  status,
  position,
  etaSeconds: position === null ? null : position * 10,
  activeUntil: status === 'ACTIVE' ? new Date(Date.now() + 60_000).toISOString() : null,
  queueStatus: 'OPEN',
  opensAt: null,
  pollAfterSeconds: 1,
});

type Handler = (res: ServerResponse, hit: number) => void;

async function gatewayStandIn(t: Test, handlers: { events: Handler; poll: Handler }) {
  const hits = { events: 0, poll: 0, authorization: [] as (string | undefined)[] };
  const server = createServer((req, res) => {
    hits.authorization.push(req.headers.authorization);
    if (req.url === '/queues/q/tokens/me/events') handlers.events(res, ++hits.events);
    else if (req.url === '/queues/q/tokens/me') handlers.poll(res, ++hits.poll);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const events: WatchEvent[] = [];
  const stop = watchPlacement({
    gateway: createGatewayClient(url),
    gatewayUrl: url,
    queueId: 'q',
    token: 'queue-token',
    onEvent: (event) => events.push(event),
  });
  t.teardown(stop);
  return { hits, events, stop };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const send = (res: ServerResponse, event: string, data: unknown) =>
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
const until = async (check: () => boolean, ms = 5000) => {
  for (const deadline = Date.now() + ms; !check();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

t.test('over the stream: every status event, then the end; no polls', async (t) => {
  const { hits, events } = await gatewayStandIn(t, {
    events: (res) => {
      sse(res);
      res.write(': keep-alive\n\n');
      send(res, 'status', placement(2));
      setTimeout(() => res.write(`event: status\r\ndata: ${JSON.stringify(placement(1))}\r\n\r\n`), 50);
      setTimeout(() => {
        send(res, 'end', { reason: 'EXPIRED' });
        res.end();
      }, 100);
    },
    poll: (res) => json(res, 200, placement(9)),
  });
  await until(() => events.some((event) => event.type === 'ended'));
  t.same(events, [
    { type: 'placement', placement: placement(2), mode: 'stream' },
    { type: 'placement', placement: placement(1), mode: 'stream' },
    { type: 'ended', code: 'TOKEN_EXPIRED' },
  ]);
  t.equal(hits.poll, 0, 'no poll while the stream speaks');
  t.equal(hits.authorization[0], 'Bearer queue-token', 'the token goes in the header, not the URL');
});

t.test('no stream on the gateway (404): polls paced by pollAfterSeconds, the stream not asked again', async (t) => {
  const { hits, events } = await gatewayStandIn(t, {
    events: (res) => json(res, 404, { statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: '' }),
    poll: (res, hit) => json(res, 200, placement(5 - hit), { 'retry-after': '1' }),
  });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  t.equal(hits.events, 1, 'the stream was tried once');
  t.ok(hits.poll >= 2 && hits.poll <= 4, `polled about once a second (${hits.poll} in 2.5 s)`);
  t.same(
    events.slice(0, 2),
    [
      { type: 'placement', placement: placement(4), mode: 'poll' },
      { type: 'placement', placement: placement(3), mode: 'poll' },
    ],
    'each poll reported',
  );
});

t.test('a stream that drops: a poll at once, the stream again after a pause', async (t) => {
  const { hits, events } = await gatewayStandIn(t, {
    events: (res, hit) => {
      sse(res);
      send(res, 'status', placement(hit === 1 ? 3 : 1));
      if (hit === 1) setTimeout(() => res.destroy(), 50);
    },
    poll: (res) => json(res, 200, placement(2)),
  });
  await until(() => hits.events === 2, 9000);
  t.match(
    events.map((event) => (event.type === 'placement' ? `${event.mode}:${event.placement.position}` : event.type)),
    ['stream:3', 'poll:2'],
    'the drop is covered by a poll at once',
  );
  await until(() => events.some((event) => event.type === 'placement' && event.placement.position === 1));
  t.pass('and the stream is back');
});

t.test('a dead token ends the watch; an overloaded gateway is asked again when it says', async (t) => {
  await t.test('401 TOKEN_EXPIRED on a poll', async (t) => {
    const { events } = await gatewayStandIn(t, {
      events: (res) => json(res, 404, { statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: '' }),
      poll: (res) => json(res, 401, { statusCode: 401, code: 'TOKEN_EXPIRED', error: 'Unauthorized', message: 'gone' }),
    });
    await until(() => events.length > 0);
    t.same(events, [{ type: 'ended', code: 'TOKEN_EXPIRED' }]);
  });
  await t.test('503 with Retry-After', async (t) => {
    const { events } = await gatewayStandIn(t, {
      events: (res) => json(res, 404, { statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: '' }),
      poll: (res, hit) =>
        hit === 1
          ? json(
              res,
              503,
              { statusCode: 503, code: 'SERVICE_UNAVAILABLE', error: 'Service Unavailable', message: '' },
              { 'retry-after': '1' },
            )
          : json(res, 200, placement(1)),
    });
    await until(() => events.length >= 2, 4000);
    t.match(events[0], { type: 'trouble', retryInSeconds: 1 });
    t.match(events[1], { type: 'placement', mode: 'poll' }, 'asked again after the second it named');
  });
});

t.test('no Retry-After header means "not said", never "at once"', async (t) => {
  await t.test('a poll naming no pace: the default pause, not a poll a second', async (t) => {
    const { hits, events } = await gatewayStandIn(t, {
      events: (res) => json(res, 404, { statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: '' }),
      poll: (res) => json(res, 200, { ...placement(3), pollAfterSeconds: 0 }),
    });
    await until(() => events.length > 0);
    // Read as 0 (Number(null)), the missing header made this a poll every second.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    t.equal(hits.poll, 1, 'no second poll within 2.5 s');
  });
  await t.test('a 503 without Retry-After: the back-off, not a retry in a second', async (t) => {
    const { events } = await gatewayStandIn(t, {
      events: (res) => json(res, 404, { statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: '' }),
      poll: (res) =>
        json(res, 503, { statusCode: 503, code: 'SERVICE_UNAVAILABLE', error: 'Service Unavailable', message: '' }),
    });
    await until(() => events.length > 0);
    t.match(events[0], { type: 'trouble', retryInSeconds: 2 }, 'the first back-off step (2 s)');
  });
});
