import t from 'tap';
import { findQueueSettings } from '@concert/db';
import { admin, bearer, buildGateway } from './helper.js';

t.test('polling and leaving', async (t) => {
  const { app, join: joinQueue } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 1 } });
  const join = async (userId: string) => (await joinQueue('q', userId)).json().token as string;
  const poll = (token: string, queueId = 'q') =>
    app.inject({ method: 'GET', url: `/queues/${queueId}/tokens/me`, headers: bearer(token) });
  const leave = (token: string) => app.inject({ method: 'DELETE', url: '/queues/q/tokens/me', headers: bearer(token) });
  const settingsOf = async (queueId: string) => {
    const { queueId: _id, ...settings } = (await findQueueSettings(app.sql, queueId))!;
    return settings;
  };

  const alice = await join('alice');
  const bob = await join('bob');
  const carol = await join('carol');

  t.test('an active token polls ACTIVE with activeUntil, a waiting one its position and ETA', async (t) => {
    const active = await poll(alice);
    t.equal(active.statusCode, 200);
    t.equal(active.headers['cache-control'], 'no-store');
    t.equal(Number(active.headers['retry-after']), active.json().pollAfterSeconds, 'Retry-After paces the polls');
    t.match(active.json(), { queueId: 'q', status: 'ACTIVE', position: null, etaSeconds: null });
    t.ok(Date.parse(active.json().activeUntil) > Date.now());
    t.match((await poll(bob)).json(), { status: 'WAITING', position: 1, activeUntil: null, queueStatus: 'OPEN' });
    t.ok((await poll(bob)).json().pollAfterSeconds >= 1, 'pollAfterSeconds says when to ask again');
    t.match((await poll(carol)).json(), { status: 'WAITING', position: 2 });
    t.ok((await poll(carol)).json().etaSeconds >= (await poll(bob)).json().etaSeconds, 'later in line, later ETA');
  });

  t.test('USER-TOKEN: Bearer is accepted too', async (t) => {
    const response = await app.inject({
      method: 'GET',
      url: '/queues/q/tokens/me',
      headers: { 'user-token': `Bearer ${bob}` },
    });
    t.equal(response.statusCode, 200);
    t.equal(response.json().position, 1);
  });

  t.test('leaving while waiting frees the place: those behind move up', async (t) => {
    const response = await leave(bob);
    t.equal(response.statusCode, 204);
    t.equal(response.body, '');
    t.match((await poll(carol)).json(), { status: 'WAITING', position: 1 });
    const after = await poll(bob);
    t.equal(after.statusCode, 401);
    t.equal(after.json().code, 'TOKEN_EXPIRED');
    t.equal((await leave(bob)).json().code, 'TOKEN_EXPIRED', 'leaving twice: the token is already dead');
  });

  t.test('leaving while active hands the slot to the head of the line at once', async (t) => {
    t.equal((await leave(alice)).statusCode, 204);
    t.equal((await poll(alice)).json().code, 'TOKEN_EXPIRED');
    t.equal((await poll(carol)).json().status, 'ACTIVE');
  });

  t.test('a new token after leaving is a new place at the back; the old one stays dead', async (t) => {
    const again = await joinQueue('q', 'bob');
    t.equal(again.statusCode, 201);
    t.not(again.json().token, bob);
    t.equal((await poll(bob)).json().code, 'TOKEN_EXPIRED');
    t.equal((await poll(again.json().token)).statusCode, 200);
  });

  t.test('a token expired by the queue library (as booking does after payment) is TOKEN_EXPIRED', async (t) => {
    const dave = await join('dave');
    const { removed } = await app.waitingRoom.remove('q', await app.queueTokens.verify(dave));
    t.ok(removed);
    t.equal((await poll(dave)).json().code, 'TOKEN_EXPIRED');
  });

  t.test('an active token whose active time is over is TOKEN_EXPIRED, even before any clean-up', async (t) => {
    await app.inject({
      method: 'PUT',
      url: '/admin/queues/short',
      headers: admin,
      payload: { maxActive: 5, activeTtlSeconds: 10 },
    });
    // An active time shorter than the API allows, straight in Redis, so the test need not wait 10 s.
    await app.waitingRoom.configure('short', { ...(await settingsOf('short')), activeTtlSeconds: 1 });
    const token = (await joinQueue('short', 'erin')).json();
    t.equal(token.status, 'ACTIVE');
    t.equal((await poll(token.token, 'short')).statusCode, 200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const response = await poll(token.token, 'short');
    t.equal(response.statusCode, 401);
    t.equal(response.json().code, 'TOKEN_EXPIRED');
    const figures = (await app.inject({ method: 'GET', url: '/queues/short' })).json();
    t.equal(figures.active, 0, 'an expired token no longer counts as active');
  });
});
