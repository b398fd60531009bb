import t from 'tap';
import { buildStack } from './helper.js';

t.test('health, metrics and docs', async (t) => {
  const { app } = await buildStack(t);
  t.same((await app.inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ok', checks: { postgres: 'up', redis: 'up' } });

  await app.inject({ method: 'GET', url: '/concerts' });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(metrics.body, /http_request_duration_seconds_count\{.*route="\/concerts".*\} 1/);

  const docs = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  t.equal(docs.openapi, '3.1.0');
  for (const path of [
    '/concerts',
    '/concerts/{concertId}/schedules',
    '/concerts/{concertId}/schedules/{scheduleId}/seats',
    '/concerts/{concertId}/schedules/{scheduleId}/reservations',
    '/reservations/{reservationId}',
    '/points',
    '/points/charge',
    '/points/transactions',
    '/payments',
  ]) {
    t.ok(docs.paths[path], `documents ${path}`);
  }
  t.ok(docs.components.securitySchemes.queueToken, 'documents the bearer token');
});
