import t, { type Test } from 'tap';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, createBookingClient, createGatewayClient, type ApiErrorCode, type Placement } from '../src/index.js';

/** What the server saw of one request. */
type Seen = { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: unknown };
type Answer = (request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * A real HTTP server standing in for a service of the contract: it records each request and
 * answers with whatever the test sets next. The clients are plain `fetch`, so this is all they see.
 */
async function startServer(t: Test) {
  const seen: Seen[] = [];
  let answer: Answer = async () => ({});
  // Open streams are cut when the test ends.
  const app = Fastify({ forceCloseConnections: true });
  // Any body as text, so the test sees exactly what the client sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.all('/*', async (request, reply) => {
    seen.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: typeof request.body === 'string' && request.body ? JSON.parse(request.body) : undefined,
    });
    return answer(request, reply);
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return {
    url,
    seen,
    answerWith(next: Answer) {
      answer = next;
    },
  };
}

const placement: Placement = {
  queueId: 'q',
  status: 'WAITING',
  position: 3,
  etaSeconds: 60,
  activeUntil: null,
  queueStatus: 'OPEN',
  opensAt: null,
  pollAfterSeconds: 6,
};

/** The ApiError a call fails with. */
async function failure(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

t.test('requests: encoded path segments, query, credentials, JSON bodies and keys', async (t) => {
  const server = await startServer(t);
  const booking = createBookingClient({ baseUrl: `${server.url}///`, headers: { 'x-request-id': 'trace-1' } });
  server.answerWith(async (_request, reply) => reply.code(201).header('location', '/reservations/r').send({ r: 1 }));

  const held = await booking.holdSeats('tok', 'c 1/2', 's?#', { seatNo: 7 }, { idempotencyKey: 'key-1' });
  t.equal(held.status, 201, 'the status is kept (201 vs 200 can matter)');
  t.same(held.data, { r: 1 });
  t.equal(held.headers.get('location'), '/reservations/r', 'and the headers');
  const [hold] = server.seen.splice(0);
  t.equal(hold!.method, 'POST');
  t.equal(hold!.url, '/concerts/c%201%2F2/schedules/s%3F%23/reservations', 'each id percent-encoded, as it is');
  t.equal(hold!.headers.authorization, 'Bearer tok');
  t.equal(hold!.headers['content-type'], 'application/json');
  t.equal(hold!.headers['idempotency-key'], 'key-1');
  t.equal(hold!.headers['x-request-id'], 'trace-1', "the client's own headers on every request");
  t.same(hold!.body, { seatNo: 7 });

  server.answerWith(async () => []);
  await booking.listReservations('tok', { status: 'HELD' });
  await booking.listReservations('tok');
  await booking.chargePoints('tok', 500);
  const [filtered, all, charge] = server.seen.splice(0);
  t.equal(filtered!.url, '/reservations?status=HELD');
  t.equal(all!.url, '/reservations', 'no query when nothing is asked');
  t.notOk(all!.headers['content-type'], 'no content type without a body');
  t.same(charge!.body, { amount: 500 });
  t.notOk(charge!.headers['idempotency-key'], 'no Idempotency-Key unless given');

  const gateway = createGatewayClient(server.url);
  server.answerWith(async (_request, reply) => reply.code(204).send());
  const left = await gateway.leaveQueue('q', 'tok');
  t.equal(left.status, 204);
  t.equal(left.data, undefined, 'no body, no data');
  await gateway.admin('admin-key-0123456789').revokeUser('q', 'auth0|ann');
  const [leave, revoke] = server.seen.splice(0);
  t.equal(leave!.method, 'DELETE');
  t.equal(revoke!.url, '/admin/queues/q/users/auth0%7Cann');
  t.equal(revoke!.headers['x-admin-key'], 'admin-key-0123456789');
  t.notOk(revoke!.headers.authorization, 'the admin key, not a bearer token');
  t.equal(
    gateway.eventsUrl('q', 'a.b+c'),
    `${server.url}/queues/q/tokens/me/events?access_token=a.b%2Bc`,
    "the stream's URL for EventSource carries the token in the query",
  );
});

t.test('errors: the contract body as a typed ApiError, anything else as HTTP_<status>', async (t) => {
  const server = await startServer(t);
  const booking = createBookingClient(server.url);

  server.answerWith(async (_request, reply) =>
    reply.code(409).send({ statusCode: 409, code: 'SEAT_UNAVAILABLE', error: 'Conflict', message: 'Seat 7 is held' }),
  );
  const taken = await failure(booking.holdSeats('tok', 'c', 's', { seatNo: 7 }));
  t.equal(taken.status, 409);
  const code: ApiErrorCode = taken.code;
  t.equal(code, 'SEAT_UNAVAILABLE');
  t.same(taken.body, { statusCode: 409, code: 'SEAT_UNAVAILABLE', error: 'Conflict', message: 'Seat 7 is held' });
  t.equal(taken.message, '409 SEAT_UNAVAILABLE: Seat 7 is held');
  t.equal(taken.retryAfterSeconds, undefined, 'no Retry-After, no wait');

  server.answerWith(async (_request, reply) =>
    reply
      .code(503)
      .header('retry-after', '2')
      .send({ statusCode: 503, code: 'SERVICE_UNAVAILABLE', error: 'Service Unavailable', message: 'later' }),
  );
  t.equal((await failure(booking.getBalance('tok'))).retryAfterSeconds, 2, 'Retry-After, in seconds');

  server.answerWith(async (_request, reply) =>
    reply.code(502).type('text/html').send('<html><body>Bad gateway</body></html>'),
  );
  const proxied = await failure(booking.listConcerts());
  t.equal(proxied.code, 'HTTP_502', "a proxy's error page has no contract code");
  t.equal(proxied.body.statusCode, 502);
  t.match(proxied.body.message, /Bad gateway/, 'its text is kept (briefly)');

  server.answerWith(async (_request, reply) => reply.code(400).send({ message: 'no code here' }));
  t.equal((await failure(booking.listConcerts())).code, 'HTTP_400', 'JSON without a code too');
});

t.test('the placement stream: events across chunk boundaries, the end, and aborting', async (t) => {
  const server = await startServer(t);
  const gateway = createGatewayClient(server.url);
  const status = (position: number) => `event: status\ndata: ${JSON.stringify({ ...placement, position })}\n\n`;
  // One stream, cut at awkward places: inside a line, between the event and its data.
  const chunks = [
    ': keep-alive\n\n',
    status(3).slice(0, 20),
    status(3).slice(20) + 'event: status\n',
    `data: ${JSON.stringify({ ...placement, position: 2 })}\n\nevent: other\ndata: {}\n\n`,
    'event: end\ndata: {"reason":"EXPIRED"}\n\n',
    status(1),
  ];
  server.answerWith(async (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of chunks) {
      reply.raw.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    request.raw.once('close', () => reply.raw.end());
  });
  const events = [];
  for await (const event of gateway.streamToken('q', 'tok')) events.push(event);
  t.same(
    events,
    [
      { event: 'status', data: { ...placement, position: 3 } },
      { event: 'status', data: { ...placement, position: 2 } },
      { event: 'end', data: { reason: 'EXPIRED' } },
    ],
    'each status in order, unknown events and comments skipped, nothing after the end',
  );
  const [streamed] = server.seen.splice(0);
  t.equal(streamed!.headers.authorization, 'Bearer tok');
  t.equal(streamed!.headers.accept, 'text/event-stream');

  // A stream that never ends on its own: aborting stops the loop quietly.
  server.answerWith(async (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    reply.raw.write(status(5));
  });
  const controller = new AbortController();
  const seenBeforeAbort = [];
  for await (const event of gateway.streamToken('q', 'tok', { signal: controller.signal })) {
    seenBeforeAbort.push(event);
    controller.abort();
  }
  t.same(seenBeforeAbort, [{ event: 'status', data: { ...placement, position: 5 } }], 'abort ends it, no error');

  server.answerWith(async (_request, reply) =>
    reply.code(401).send({ statusCode: 401, code: 'TOKEN_EXPIRED', error: 'Unauthorized', message: 'gone' }),
  );
  const refused = await failure(gateway.streamToken('q', 'tok').next());
  t.equal(refused.code, 'TOKEN_EXPIRED', 'a token that is not live fails at once, as a poll would');
});
