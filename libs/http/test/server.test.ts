import { connect } from 'node:net';
import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { Type } from 'typebox';
import { loadConfig } from '@concert/config';
import { BODY_LIMIT_BYTES, createServer, errorHandlerPlugin, healthPlugin, HttpErrors } from '../src/index.js';

async function build(t: Test, checks: { name: string; check: () => Promise<unknown> }[] = []) {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'test', { logger: false });
  await app.register(errorHandlerPlugin);
  await app.register(healthPlugin, { checks });
  app.post(
    '/echo',
    { schema: { body: Type.Object({ n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) } },
    async (request) => request.body,
  );
  app.get('/conflict', async () => {
    throw new HttpErrors.VALIDATION_ERROR('custom message');
  });
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

t.test('every error has the contract shape with a stable code', async (t) => {
  const app = await build(t);
  const cases: [string, InjectOptions, number, string][] = [
    ['wrong type', { method: 'POST', url: '/echo', payload: { n: '1' } }, 400, 'VALIDATION_ERROR'],
    ['missing field', { method: 'POST', url: '/echo', payload: {} }, 400, 'VALIDATION_ERROR'],
    [
      'broken JSON',
      { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"n":' },
      400,
      'INVALID_JSON',
    ],
    [
      'too large',
      { method: 'POST', url: '/echo', payload: { n: 1, pad: 'x'.repeat(BODY_LIMIT_BYTES) } },
      413,
      'BODY_TOO_LARGE',
    ],
    [
      'not JSON',
      { method: 'POST', url: '/echo', headers: { 'content-type': 'application/xml' }, payload: '<n>1</n>' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['no route', { method: 'GET', url: '/nowhere?x=1' }, 404, 'ROUTE_NOT_FOUND'],
    ['a catalog error', { method: 'GET', url: '/conflict' }, 400, 'VALIDATION_ERROR'],
  ];
  for (const [name, request, statusCode, code] of cases) {
    const response = await app.inject(request);
    t.equal(response.statusCode, statusCode, name);
    t.match(response.json(), { statusCode, code, error: /\w/, message: /\w/ }, name);
  }
  t.same(
    (await app.inject({ method: 'POST', url: '/echo', payload: { n: 2 } })).json(),
    { n: 2 },
    'valid input passes',
  );
});

t.test('a 500 hides its details from the client', async (t) => {
  const app = await build(t);
  const response = await app.inject({ method: 'GET', url: '/boom' });
  t.equal(response.statusCode, 500);
  t.same(response.json(), {
    statusCode: 500,
    code: 'INTERNAL_ERROR',
    error: 'Internal Server Error',
    message: 'Internal server error',
  });
  t.notMatch(response.body, /hunter2/);
});

t.test('readiness reports each dependency and answers 503 when one is down or hangs', async (t) => {
  const app = await build(t, [
    { name: 'up', check: async () => 'ok' },
    { name: 'down', check: async () => Promise.reject(new Error('refused')) },
  ]);
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 503);
  t.same(ready.json(), { status: 'unavailable', checks: { up: 'up', down: 'down' } });
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
});

t.test('a queue token in the query (event streams) never reaches the logs', async (t) => {
  const { serializeRequest, redactUrl } = await import('../src/logging.js');
  const logged = serializeRequest({
    method: 'GET',
    url: '/queues/q/tokens/me/events?access_token=a.b.c&x=1',
    ip: '::1',
  });
  t.equal(logged.url, '/queues/q/tokens/me/events?access_token=[Redacted]&x=1');
  t.equal(serializeRequest({ method: 'GET', url: '/queues/q?x=1' }).url, '/queues/q?x=1');
  t.equal(redactUrl('/e?x=1&access_token=a.b.c'), '/e?x=1&access_token=[Redacted]', 'the one-line request log too');
});

t.test('a request arriving while the server closes: 503 SERVICE_UNAVAILABLE in the contract shape', async (t) => {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'test', { logger: false });
  await app.register(errorHandlerPlugin);
  let finishSlow!: () => void;
  let slowStarted!: () => void;
  const started = new Promise<void>((resolve) => (slowStarted = resolve));
  app.get('/slow', async () => {
    slowStarted();
    await new Promise<void>((resolve) => (finishSlow = resolve));
    return { done: true };
  });
  let closingBegan!: () => void;
  const closingBegins = new Promise<void>((resolve) => (closingBegan = resolve));
  app.addHook('preClose', async () => closingBegan());
  const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));

  // One keep-alive connection, busy with a slow request when closing begins (so it stays open),
  // then a second request on it: what a client of a stopping instance meets.
  const socket = connect(Number(address.port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
  await started;
  const closed = app.close();
  await closingBegins;
  socket.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
  // Let the second request reach the server before the first one finishes.
  await new Promise((resolve) => setTimeout(resolve, 100));
  finishSlow();
  await ended;
  await closed;

  const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
  t.match(first, /^HTTP\/1\.1 200 /, 'the request in flight finishes');
  const [head, body] = second!.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 503 /, 'the one arriving while closing is refused');
  t.match(head, /\r\nretry-after: 1\r\n/i, 'with Retry-After');
  t.match(head, /\r\nconnection: close\r\n/i, 'and the connection closed');
  t.match(head, /\r\ncontent-type: application\/json/i);
  t.same(JSON.parse(body!), {
    statusCode: 503,
    code: 'SERVICE_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'Service unavailable, try again shortly',
  });
});
