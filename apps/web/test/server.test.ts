import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig, type Config } from '@concert/config';
import { createServer } from '@concert/http';
import web, { checkWebConfig } from '../src/server/app.js';

/** The web app over `inject`, serving a small stand-in of the built site from a test folder. */
async function buildApp(t: Test, env: Record<string, string> = {}) {
  const root = t.testdir({
    'index.html': '<!doctype html><title>fans</title>',
    console: { 'index.html': '<!doctype html><title>console</title>' },
    assets: { 'fan-abc123.js': 'console.log(1)' },
  });
  const config = loadConfig({ LOG_LEVEL: 'silent', WEB_STATIC_DIR: root, ...env });
  const app = createServer(config, 'web');
  await app.register(web, { config });
  t.teardown(() => app.close());
  return app;
}

t.test('/config.json tells the browser where the APIs are, and nothing secret', async (t) => {
  const app = await buildApp(t, {
    GATEWAY_PORT: '4000',
    PUBLIC_BOOKING_URL: 'https://booking.example/',
    ADMIN_API_KEY: 'a-secret-admin-key-never-shown',
    DEV_IDENTITY: 'true',
  });
  const response = await app.inject('/config.json');
  t.equal(response.statusCode, 200);
  t.same(response.json(), {
    gatewayUrl: 'http://localhost:4000',
    bookingUrl: 'https://booking.example',
    devLogin: true,
    oidc: null,
    limits: { holdSeconds: 300, maxHoldsPerUser: 4, maxTicketsPerUser: 8, maxCharge: 1_000_000, refundCutoffHours: 24 },
  });
  t.notMatch(response.body, /secret/, 'no admin key');
  t.equal(response.headers['cache-control'], 'no-store');
});

t.test('with OIDC configured, the provider and client are published', async (t) => {
  const app = await buildApp(t, { OIDC_ISSUER: 'https://login.example/', OIDC_CLIENT_ID: 'concert-site' });
  t.same((await app.inject('/config.json')).json().oidc, {
    issuer: 'https://login.example/',
    clientId: 'concert-site',
    scope: 'openid',
    audience: null,
  });
  const page = await app.inject('/');
  t.match(
    page.headers['content-security-policy'],
    /connect-src 'self' http:\/\/localhost:3000 http:\/\/localhost:3001 https:\/\/login.example https:/,
  );
});

t.test('OIDC settings come as a pair', async (t) => {
  const config = (env: Record<string, string>): Config => loadConfig({ ...env });
  t.throws(() => checkWebConfig(config({ OIDC_ISSUER: 'https://login.example/' })), /OIDC_CLIENT_ID must be set/);
  t.throws(() => checkWebConfig(config({ OIDC_CLIENT_ID: 'site' })), /OIDC_ISSUER must be set/);
  t.doesNotThrow(() => checkWebConfig(config({})));
});

t.test('pages revalidate and carry the security headers; hashed assets are cached for a year', async (t) => {
  const app = await buildApp(t);
  const page = await app.inject('/');
  t.equal(page.statusCode, 200);
  t.match(page.body, /fans/);
  t.equal(page.headers['cache-control'], 'no-cache');
  t.match(page.headers['content-security-policy'], /default-src 'self'.*frame-ancestors 'none'/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(page.headers['referrer-policy'], 'no-referrer');

  const asset = await app.inject('/assets/fan-abc123.js');
  t.equal(asset.statusCode, 200);
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
});

t.test('/console is the console; unknown paths are the contract 404', async (t) => {
  const app = await buildApp(t);
  const redirect = await app.inject('/console');
  t.equal(redirect.statusCode, 301);
  t.equal(redirect.headers.location, '/console/');
  const consolePage = await app.inject('/console/');
  t.equal(consolePage.statusCode, 200);
  t.match(consolePage.body, /console/);
  const missing = await app.inject('/nothing-here.js');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'ROUTE_NOT_FOUND');
});

t.test('health endpoints answer (the web app depends on nothing)', async (t) => {
  const app = await buildApp(t);
  t.equal((await app.inject('/health/live')).statusCode, 200);
  const ready = await app.inject('/health/ready');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ok', checks: {} });
});

t.test('a missing build stops the app at boot, saying so', async (t) => {
  const empty = t.testdir({});
  mkdirSync(join(empty, 'assets'));
  writeFileSync(join(empty, 'assets', 'x.js'), '');
  const config = loadConfig({ LOG_LEVEL: 'silent', WEB_STATIC_DIR: empty });
  const app = createServer(config, 'web');
  await t.rejects(async () => app.register(web, { config }).ready(), /the built site is missing/);
  await app.close();
});
