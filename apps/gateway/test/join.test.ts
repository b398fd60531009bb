import t from 'tap';
import { admin, buildGateway } from './helper.js';

t.test('joining a queue', async (t) => {
  const { app, join, asUser } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/tour', headers: admin, payload: { maxActive: 2 } });

  t.test('the first users are admitted at once while there is room and nobody waits', async (t) => {
    const first = await join('tour', 'u-1');
    t.equal(first.statusCode, 201);
    t.equal(first.headers.location, '/queues/tour/tokens/me', 'Location names where to poll');
    t.equal(first.headers['cache-control'], 'no-store', 'a token is never cached');
    const body = first.json();
    t.match(body, { queueId: 'tour', status: 'ACTIVE', position: null, etaSeconds: null });
    t.type(body.token, 'string');
    t.ok(Date.parse(body.activeUntil) > Date.now(), 'activeUntil is in the future');
    const second = await join('tour', 'u-2');
    t.equal(second.json().status, 'ACTIVE');
  });

  t.test('later users wait in arrival order with a position and an ETA', async (t) => {
    const third = await join('tour', 'u-3');
    t.equal(third.statusCode, 201);
    t.match(third.json(), { status: 'WAITING', position: 1, activeUntil: null });
    t.ok(third.json().etaSeconds > 0, 'an ETA is given');
    const fourth = await join('tour', 'u-4');
    t.match(fourth.json(), { status: 'WAITING', position: 2 });
  });

  t.test('joining again returns the same token and place with 200', async (t) => {
    const before = await join('tour', 'u-3');
    const again = await join('tour', 'u-3');
    t.equal(again.statusCode, 200);
    t.equal(again.headers.location, undefined, 'no Location: nothing was created');
    t.equal(again.json().token, before.json().token, 'the very same token');
    t.equal(again.json().position, 1, 'the place is kept');
    const figures = await app.inject({ method: 'GET', url: '/queues/tour' });
    t.match(figures.json(), {
      queueId: 'tour',
      waiting: 2,
      active: 2,
      maxActive: 2,
      paused: false,
      queueStatus: 'OPEN',
    });
    t.equal(figures.headers['cache-control'], 'public, max-age=1', 'public figures are cacheable for a second');
  });

  t.test('an active user joining again keeps the active token', async (t) => {
    const again = await join('tour', 'u-1');
    t.equal(again.statusCode, 200);
    t.equal(again.json().status, 'ACTIVE');
  });

  t.test('a queue that was never configured is 404 QUEUE_NOT_FOUND', async (t) => {
    const response = await join('nope', 'u-1');
    t.equal(response.statusCode, 404);
    t.same(response.json(), {
      statusCode: 404,
      code: 'QUEUE_NOT_FOUND',
      error: 'Not Found',
      message: 'Queue nope is not configured',
    });
    const figures = await app.inject({ method: 'GET', url: '/queues/nope' });
    t.equal(figures.statusCode, 404);
    t.equal(figures.json().code, 'QUEUE_NOT_FOUND');
  });

  t.test('bad bodies are 400, odd queue ids are 404, and nothing changes', async (t) => {
    const headers = { ...(await asUser('u-9')), 'content-type': 'application/json' };
    const cases: [string, unknown, number, string][] = [
      ['a userId in the body (the identity token says who)', { userId: 'u-1' }, 400, 'VALIDATION_ERROR'],
      ['array body', [{}], 400, 'VALIDATION_ERROR'],
      ['string body', 'u-1', 400, 'VALIDATION_ERROR'],
      ['number body', 5, 400, 'VALIDATION_ERROR'],
      ['body over the limit', { padding: 'x'.repeat(100_000) }, 413, 'BODY_TOO_LARGE'],
    ];
    for (const [name, payload, statusCode, code] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/queues/tour/tokens',
        headers,
        payload: JSON.stringify(payload),
      });
      t.equal(response.statusCode, statusCode, name);
      t.match(response.json(), { statusCode, code }, name);
    }
    const invalidJson = await app.inject({ method: 'POST', url: '/queues/tour/tokens', headers, payload: '{"x":' });
    t.equal(invalidJson.statusCode, 400);
    t.equal(invalidJson.json().code, 'INVALID_JSON');
    const empty = await app.inject({
      method: 'POST',
      url: '/queues/tour/tokens',
      headers: await asUser('u-9'),
      payload: {},
    });
    t.equal(empty.statusCode, 201, 'an empty object is a fine body');

    for (const queueId of ['bad%20id', 'x'.repeat(65), '%7Bx%7D']) {
      const response = await app.inject({
        method: 'POST',
        url: `/queues/${queueId}/tokens`,
        headers: await asUser('u-9'),
      });
      t.equal(response.statusCode, 404, `queue id ${queueId}: names nothing`);
      t.equal(response.json().code, 'QUEUE_NOT_FOUND');
    }
    const figures = await app.inject({ method: 'GET', url: '/queues/tour' });
    t.equal(figures.json().waiting, 3, 'only the valid join was added');
  });
});
