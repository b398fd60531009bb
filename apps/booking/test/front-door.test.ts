import t from 'tap';
import type { InjectOptions } from 'fastify';
import { createServer } from '@concert/http';
import { signingKeyFrom } from '@concert/tokens';
import { refusedIdentityTokens, startJwksServer } from '@concert/tokens/testing';
import booking from '../src/app.js';
import { buildStack } from './helper.js';

t.test('browsers on the configured origins may call booking (CORS)', async (t) => {
  const { app } = await buildStack(t, { CORS_ORIGINS: 'http://localhost:3003,https://tickets.example' });
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/payments',
    headers: {
      origin: 'https://tickets.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    },
  });
  t.equal(preflight.statusCode, 204, 'preflight 204');
  t.equal(preflight.headers['access-control-allow-origin'], 'https://tickets.example');
  t.match(preflight.headers['access-control-allow-methods'], /POST/);
  for (const header of ['authorization', 'content-type', 'idempotency-key']) {
    t.match(preflight.headers['access-control-allow-headers'], new RegExp(header), `may send ${header}`);
  }

  const listed = await app.inject({ method: 'GET', url: '/concerts', headers: { origin: 'http://localhost:3003' } });
  t.equal(listed.headers['access-control-allow-origin'], 'http://localhost:3003');
  const exposed = String(listed.headers['access-control-expose-headers']).split(/,\s*/);
  t.same(
    ['location', 'retry-after', 'idempotent-replayed', 'x-request-id'].filter((header) => !exposed.includes(header)),
    [],
    `scripts may read Location, Retry-After, Idempotent-Replayed and x-request-id (${exposed.join(', ')})`,
  );

  const stranger = await app.inject({
    method: 'OPTIONS',
    url: '/payments',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  t.equal(stranger.headers['access-control-allow-origin'], undefined, 'another origin is not allowed');
});

t.test("a user's writes are limited together, on every write route, counted across instances", async (t) => {
  const stack = await buildStack(t, { BOOKING_WRITE_RATE_LIMIT_PER_MINUTE: 5 });
  const { app: first, concert, schedules, config, signedIn } = stack;
  // A second booking instance on the same Redis and database.
  const second = createServer(config, 'booking', { logger: false });
  await second.register(booking, { config });
  await second.ready();
  t.teardown(() => second.close());

  const holds = `/concerts/${concert.id}/schedules/${schedules[0]!.id}/reservations`;
  const account = await signedIn('ann');
  let { headers: active } = await stack.fan('ann');
  const charge: InjectOptions = {
    method: 'POST',
    url: '/points/charge',
    headers: account,
    payload: { amount: 500_000 },
  };

  // Five writes, alternating instances: each route counts against the same allowance.
  t.equal((await first.inject(charge)).statusCode, 200, 'charge');
  const kept = await second.inject({ method: 'POST', url: holds, headers: active, payload: { seatNo: 1 } });
  t.equal(kept.statusCode, 201, 'hold');
  const dropped = await first.inject({ method: 'POST', url: holds, headers: active, payload: { seatNo: 2 } });
  t.equal(dropped.statusCode, 201, 'another hold');
  const cancel = { method: 'DELETE', url: `/reservations/${dropped.json().reservationId}`, headers: account } as const;
  t.equal((await second.inject(cancel)).statusCode, 204, 'cancel');
  const reservationId = kept.json().reservationId as string;
  const paid = await first.inject({ method: 'POST', url: '/payments', headers: active, payload: { reservationId } });
  t.equal(paid.statusCode, 201, 'pay');
  const paymentId = paid.json().paymentId as string;

  // Paying ended the queue token: a fresh one, so that only the limit can refuse what follows.
  ({ headers: active } = await stack.fan('ann'));
  const refused: [string, typeof first, InjectOptions][] = [
    ['charge', second, charge],
    ['hold', first, { method: 'POST', url: holds, headers: active, payload: { seatNo: 3 } }],
    ['cancel', second, cancel],
    ['pay', first, { method: 'POST', url: '/payments', headers: active, payload: { reservationId } }],
    ['refund', second, { method: 'POST', url: `/payments/${paymentId}/refund`, headers: account }],
  ];
  for (const [name, instance, request] of refused) {
    const response = await instance.inject(request);
    t.same([response.statusCode, response.json().code], [429, 'RATE_LIMITED'], `${name}: the sixth write is refused`);
    t.ok(Number(response.headers['retry-after']) > 0, `${name}: Retry-After`);
  }
  const points = await first.inject({ method: 'GET', url: '/points', headers: account });
  t.equal(points.json().balance, 500_000 - paid.json().amount, 'the refused charge and refund changed nothing');
  t.equal(
    (await first.inject({ method: 'GET', url: `/payments/${paymentId}`, headers: account })).json().status,
    'PAID',
    'still paid',
  );
  t.equal((await first.inject({ method: 'GET', url: '/points', headers: account })).statusCode, 200, 'reads count not');
  const bob = await signedIn('bob');
  t.equal(
    (await second.inject({ ...charge, headers: bob })).statusCode,
    200,
    'another user has an allowance of his own',
  );
});

t.test('identity tokens that are not genuine are refused on account routes, with a static key or a JWKS', async (t) => {
  const jwks = await startJwksServer(t);
  const modes = {
    'static key': await buildStack(t),
    JWKS: await buildStack(t, { IDENTITY_PUBLIC_KEY: '', IDENTITY_JWKS_URL: jwks.url }),
  };
  jwks.publish([signingKeyFrom(modes.JWKS.identityPrivateKeyPem, 'identity key').jwk]);
  for (const [mode, { app, config, identityPrivateKeyPem, signedIn }] of Object.entries(modes)) {
    const refused = await refusedIdentityTokens({
      privateKeyPem: identityPrivateKeyPem,
      issuer: config.IDENTITY_ISSUER!,
      audience: config.IDENTITY_AUDIENCE!,
      userId: 'ann',
    });
    for (const [name, token] of Object.entries(refused)) {
      for (const [method, url] of [
        ['GET', '/points'],
        ['POST', '/points/charge'],
      ] as const) {
        const response = await app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(method === 'POST' ? { payload: { amount: 100 } } : {}),
        });
        t.same([response.statusCode, response.json().code], [401, 'IDENTITY_INVALID'], `${mode}: ${name}: ${url}`);
        t.equal(response.headers['www-authenticate'], 'Bearer realm="concert"', `${mode}: ${name}: the challenge`);
      }
    }
    const points = await app.inject({ method: 'GET', url: '/points', headers: await signedIn('ann') });
    t.same([points.statusCode, points.json().balance], [200, 0], `${mode}: a genuine identity token; nothing charged`);
  }
  t.ok(jwks.fetches() >= 1, 'the JWKS booking read its keys from the JWKS');
});
