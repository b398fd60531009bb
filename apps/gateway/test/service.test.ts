import t from 'tap';
import { createServer } from '@concert/http';
import { loadConfig } from '@concert/config';
import gateway from '../src/app.js';
import { setupTestContext } from '@concert/testing';
import { buildGateway } from './helper.js';

t.test('health, metrics and docs', async (t) => {
  const { app } = await buildGateway(t);

  const live = await app.inject({ method: 'GET', url: '/health/live' });
  t.equal(live.statusCode, 200);
  t.same(live.json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  t.same(ready.json(), { status: 'ok', checks: { redis: 'up', postgres: 'up' } });

  await app.inject({ method: 'GET', url: '/queues/unknown' });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.headers['content-type'], /text\/plain/);
  t.match(metrics.body, /http_request_duration_seconds_bucket\{.*route="\/queues\/:queueId".*status_code="404"/);
  t.match(metrics.body, /process_cpu_seconds_total/);

  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  const paths = Object.keys(docs.json().paths);
  for (const path of [
    '/queues/{queueId}/tokens',
    '/queues/{queueId}/tokens/me',
    '/queues/{queueId}',
    '/admin/queues/{queueId}',
    '/.well-known/jwks.json',
  ]) {
    t.ok(paths.includes(path), `documents ${path}`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, 'the UI is served');

  const missing = await app.inject({ method: 'GET', url: '/nowhere' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'ROUTE_NOT_FOUND');
  t.ok(missing.headers['x-request-id'], 'every response carries a request id');
  const traced = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
  t.equal(traced.headers['x-request-id'], 'abc-123', "a caller's request id is kept");
});

t.test('readiness is 503 when Redis is unreachable', async (t) => {
  const { env } = await setupTestContext(t);
  const config = loadConfig({ ...env, REDIS_URL: 'redis://127.0.0.1:1' });
  const app = createServer(config, 'gateway', { logger: false });
  await app.register(gateway, { config });
  await app.ready();
  t.teardown(() => app.close());
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 503);
  t.match(ready.json(), { status: 'unavailable', checks: { redis: 'down' } });
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'but the process is alive');
});
