import t from 'tap';
import { admin, buildGateway } from './helper.js';

t.test('joining a queue', async (t) => {
  const { app } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/tour', headers: admin, payload: { maxActive: 2 } });

  t.test('the first users are admitted at once while there is room and nobody waits', async (t) => {
    const first = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-1' } });
    t.equal(first.statusCode, 201);
    const body = first.json();
    t.match(body, { queueId: 'tour', status: 'ACTIVE', position: null, etaSeconds: null });
    t.type(body.token, 'string');
    t.ok(Date.parse(body.activeUntil) > Date.now(), 'activeUntil is in the future');
    const second = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-2' } });
    t.equal(second.json().status, 'ACTIVE');
  });

  t.test('later users wait in arrival order with a position and an ETA', async (t) => {
    const third = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-3' } });
    t.equal(third.statusCode, 201);
    t.match(third.json(), { status: 'WAITING', position: 1, activeUntil: null });
    t.ok(third.json().etaSeconds > 0, 'an ETA is given');
    const fourth = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-4' } });
    t.match(fourth.json(), { status: 'WAITING', position: 2 });
  });

  t.test('joining again returns the same token and place with 200', async (t) => {
    const before = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-3' } });
    const again = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-3' } });
    t.equal(again.statusCode, 200);
    t.equal(again.json().token, before.json().token, 'the very same token');
    t.equal(again.json().position, 1, 'the place is kept');
    const figures = await app.inject({ method: 'GET', url: '/queues/tour' });
    t.same(figures.json(), { queueId: 'tour', waiting: 2, active: 2, maxActive: 2, paused: false });
  });

  t.test('an active user joining again keeps the active token', async (t) => {
    const again = await app.inject({ method: 'POST', url: '/queues/tour/tokens', payload: { userId: 'u-1' } });
    t.equal(again.statusCode, 200);
    t.equal(again.json().status, 'ACTIVE');
  });

  t.test('a queue that was never configured is 404 QUEUE_NOT_FOUND', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/queues/nope/tokens', payload: { userId: 'u-1' } });
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

  t.test('bad bodies and ids are 400 and change nothing', async (t) => {
    const cases: [string, unknown, string?][] = [
      ['empty userId', { userId: '' }],
      ['missing userId', {}],
      ['too long userId', { userId: 'x'.repeat(65) }],
      ['wrong characters', { userId: 'bad id!' }],
      ['braces', { userId: '{x}' }],
      ['number', { userId: 123 }],
      ['null', { userId: null }],
      ['array body', [{ userId: 'u' }]],
      ['string body', 'u-1'],
      ['huge userId', { userId: 'x'.repeat(10_000) }],
      ['body over the limit', { userId: 'u', padding: 'x'.repeat(100_000) }],
    ];
    for (const [name, payload] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/queues/tour/tokens',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      t.equal(response.statusCode, 400, name);
      t.match(
        response.json(),
        { statusCode: 400, code: /^(VALIDATION_ERROR|BODY_TOO_LARGE)$/, error: 'Bad Request' },
        name,
      );
    }
    const invalidJson = await app.inject({
      method: 'POST',
      url: '/queues/tour/tokens',
      headers: { 'content-type': 'application/json' },
      payload: '{"userId":',
    });
    t.equal(invalidJson.statusCode, 400);
    t.equal(invalidJson.json().code, 'INVALID_JSON');

    for (const queueId of ['bad%20id', 'x'.repeat(65), '%7Bx%7D']) {
      const response = await app.inject({
        method: 'POST',
        url: `/queues/${queueId}/tokens`,
        payload: { userId: 'u-9' },
      });
      t.equal(response.statusCode, 400, `queue id ${queueId}`);
      t.equal(response.json().code, 'VALIDATION_ERROR');
    }
    const figures = await app.inject({ method: 'GET', url: '/queues/tour' });
    t.equal(figures.json().waiting, 2, 'nobody was added by the bad requests');
  });
});
