import t from 'tap';
import { createServer } from '@concert/http';
import { generateTestKeyPair } from '@concert/testing';
import { signingKeyFrom } from '@concert/tokens';
import { refusedIdentityTokens, startJwksServer } from '@concert/tokens/testing';
import gateway from '../src/app.js';
import { admin, bearer, buildGateway } from './helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once `check` does, false if `timeoutMs` passes first. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
    if (await check()) return true;
  }
  return false;
}

t.test('joining needs an identity token: the user is its sub, never a name the caller picks', async (t) => {
  const { app, join, asUser, identityToken } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  const joinWith = (headers: Record<string, string>, payload?: object) =>
    app.inject({ method: 'POST', url: '/queues/q/tokens', headers, ...(payload ? { payload } : {}) });

  const refused: Record<string, Record<string, string>> = {
    'no token': {},
    'not a bearer': { authorization: 'Basic YW5uOnNlY3JldA==' },
    garbage: bearer('a.b.c'),
  };
  for (const [name, headers] of Object.entries(refused)) {
    const response = await joinWith(headers);
    t.same([response.statusCode, response.json().code], [401, 'IDENTITY_INVALID'], name);
    t.equal(response.headers['www-authenticate'], 'Bearer realm="concert"', `${name}: says what it wants`);
  }
  const ann = await join('q', 'ann');
  t.same(
    [(await joinWith(bearer(ann.json().token))).statusCode, (await joinWith(bearer(ann.json().token))).json().code],
    [401, 'IDENTITY_INVALID'],
    'a queue token is not an identity',
  );
  const named = await joinWith(await asUser('mallory'), { userId: 'ann' });
  t.same([named.statusCode, named.json().code], [400, 'VALIDATION_ERROR'], 'naming a user in the body is refused');

  // Two devices of one person: two identity tokens with the same sub.
  const laptop = await joinWith(bearer(await identityToken('bob')));
  const phone = await joinWith(bearer(await identityToken('bob')));
  t.same([laptop.statusCode, phone.statusCode], [201, 200], 'the second device is told it already has a place');
  t.equal(phone.json().token, laptop.json().token, 'and gets the very same queue token');

  const other = await join('q', 'carol');
  const figures = (await app.inject({ method: 'GET', url: '/queues/q' })).json();
  t.equal(figures.active + figures.waiting, 3, 'ann, bob and carol: one place each');
  t.not(other.json().token, ann.json().token);
});

t.test('the development identity provider: only when DEV_IDENTITY=true', async (t) => {
  const off = await buildGateway(t);
  const missing = await off.app.inject({ method: 'POST', url: '/dev/identity', payload: { userId: 'ann' } });
  t.same([missing.statusCode, missing.json().code], [404, 'ROUTE_NOT_FOUND'], 'off by default: no such route');

  const devKey = generateTestKeyPair();
  const on = await buildGateway(t, {
    DEV_IDENTITY: 'true',
    DEV_IDENTITY_PRIVATE_KEY: devKey.privateKeyPem,
    // The gateway and booking then trust the development key (as npm start sets them up).
    IDENTITY_PUBLIC_KEY: devKey.publicKeyPem,
    IDENTITY_ISSUER: 'urn:concert:dev-identity',
    IDENTITY_AUDIENCE: 'concert',
  });
  await on.app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  const granted = await on.app.inject({ method: 'POST', url: '/dev/identity', payload: { userId: 'ann' } });
  t.equal(granted.statusCode, 200);
  t.equal(granted.headers['cache-control'], 'no-store');
  t.ok(Date.parse(granted.json().expiresAt) > Date.now());
  const joined = await on.app.inject({
    method: 'POST',
    url: '/queues/q/tokens',
    headers: bearer(granted.json().identityToken),
  });
  t.equal(joined.statusCode, 201, 'its identity token joins');
  const claims = JSON.parse(Buffer.from(joined.json().token.split('.')[1], 'base64url').toString());
  t.equal(claims.sub, 'ann');
  const bad = await on.app.inject({ method: 'POST', url: '/dev/identity', payload: { userId: 'has space' } });
  t.same([bad.statusCode, bad.json().code], [400, 'VALIDATION_ERROR']);
});

t.test('browsers on the configured origins may call the API (CORS)', async (t) => {
  const { app, asUser } = await buildGateway(t, { CORS_ORIGINS: 'http://localhost:3003,https://tickets.example' });
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/queues/q/tokens',
    headers: {
      origin: 'https://tickets.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  t.equal(preflight.statusCode, 204, 'preflight 204');
  t.equal(preflight.headers['access-control-allow-origin'], 'https://tickets.example');
  t.match(preflight.headers['access-control-allow-headers'], /authorization/);
  t.match(preflight.headers['access-control-allow-methods'], /POST/);

  const joined = await app.inject({
    method: 'POST',
    url: '/queues/q/tokens',
    headers: { origin: 'http://localhost:3003', ...(await asUser('x')) },
  });
  t.equal(joined.headers['access-control-allow-origin'], 'http://localhost:3003');
  t.match(joined.headers['access-control-expose-headers'], /location/i, 'scripts may read Location');
  t.match(joined.headers['access-control-expose-headers'], /retry-after/i, 'and Retry-After');

  const stranger = await app.inject({
    method: 'OPTIONS',
    url: '/queues/q/tokens',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  t.equal(stranger.headers['access-control-allow-origin'], undefined, 'another origin is not allowed');
});

t.test('joins are throttled per identity and per address, counted in Redis across instances', async (t) => {
  const first = await buildGateway(t, { JOIN_RATE_LIMIT_PER_MINUTE: 3, ADDRESS_RATE_LIMIT_PER_MINUTE: 8 });
  // A second gateway instance on the same Redis and database.
  const second = createServer(first.config, 'gateway', { logger: false });
  await second.register(gateway, { config: first.config });
  await second.ready();
  t.teardown(() => second.close());
  await first.app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  const instances = [first.app, second];

  const annJoins = [];
  for (let i = 0; i < 4; i++) {
    annJoins.push(
      await instances[i % 2]!.inject({ method: 'POST', url: '/queues/q/tokens', headers: await first.asUser('ann') }),
    );
  }
  t.same(
    annJoins.map((r) => r.statusCode),
    [201, 200, 200, 429],
    "ann's fourth join in a minute is refused, though her joins went to two instances",
  );
  const limited = annJoins[3]!;
  t.equal(limited.json().code, 'RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After');

  // The address: 8 requests a minute from 127.0.0.1 in all (ann's 4 count too).
  const others = [];
  for (let i = 0; i < 5; i++) {
    others.push(
      (
        await instances[i % 2]!.inject({
          method: 'POST',
          url: '/queues/q/tokens',
          headers: await first.asUser(`u${i}`),
        })
      ).statusCode,
    );
  }
  t.same(others, [201, 201, 201, 201, 429], 'the address limit holds across instances too');
});

t.test('X-Forwarded-For counts only behind a trusted proxy', async (t) => {
  const direct = await buildGateway(t, { ADDRESS_RATE_LIMIT_PER_MINUTE: 2 });
  const behindProxy = await buildGateway(t, { ADDRESS_RATE_LIMIT_PER_MINUTE: 2, TRUST_PROXY: 'true' });
  for (const { app } of [direct, behindProxy]) {
    await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  }
  const statuses = async (built: typeof direct) => {
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const headers = { ...(await built.asUser(`p${i}`)), 'x-forwarded-for': `203.0.113.${i}` };
      codes.push((await built.app.inject({ method: 'POST', url: '/queues/q/tokens', headers })).statusCode);
    }
    return codes;
  };
  t.same(await statuses(direct), [201, 201, 429], 'a client cannot dodge the limit by sending the header itself');
  t.same(await statuses(behindProxy), [201, 201, 201], 'behind a trusted proxy, each forwarded address counts apart');
});

t.test('identity tokens that are not genuine are refused on join, with a static key or a JWKS', async (t) => {
  const jwks = await startJwksServer(t);
  const modes = {
    'static key': await buildGateway(t),
    JWKS: await buildGateway(t, { IDENTITY_PUBLIC_KEY: '', IDENTITY_JWKS_URL: jwks.url }),
  };
  // The JWKS publishes the key of that gateway's identity provider (fetched at the first join).
  jwks.publish([signingKeyFrom(modes.JWKS.identityPrivateKeyPem, 'identity key').jwk]);
  for (const [mode, { app, config, identityPrivateKeyPem, join }] of Object.entries(modes)) {
    await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
    const refused = await refusedIdentityTokens({
      privateKeyPem: identityPrivateKeyPem,
      issuer: config.IDENTITY_ISSUER!,
      audience: config.IDENTITY_AUDIENCE!,
      userId: 'ann',
    });
    for (const [name, token] of Object.entries(refused)) {
      const response = await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: bearer(token) });
      t.same([response.statusCode, response.json().code], [401, 'IDENTITY_INVALID'], `${mode}: ${name}`);
      t.equal(response.headers['www-authenticate'], 'Bearer realm="concert"', `${mode}: ${name}: the challenge`);
    }
    const figures = await app.waitingRoom.figures('q');
    t.equal(figures!.waiting + figures!.active, 0, `${mode}: none of them got a place`);
    t.equal((await join('q', 'ann')).statusCode, 201, `${mode}: a genuine identity token joins`);
  }
  t.ok(jwks.fetches() >= 1, 'the JWKS gateway read its keys from the JWKS');
});

t.test('the development login is throttled per user and per address, like joins', async (t) => {
  const devKey = generateTestKeyPair();
  const { app } = await buildGateway(t, {
    DEV_IDENTITY: 'true',
    DEV_IDENTITY_PRIVATE_KEY: devKey.privateKeyPem,
    IDENTITY_PUBLIC_KEY: devKey.publicKeyPem,
    JOIN_RATE_LIMIT_PER_MINUTE: 2,
    ADDRESS_RATE_LIMIT_PER_MINUTE: 5,
  });
  const signIn = (userId: string) => app.inject({ method: 'POST', url: '/dev/identity', payload: { userId } });
  const ann = [await signIn('ann'), await signIn('ann'), await signIn('ann')];
  t.same(
    ann.map((r) => r.statusCode),
    [200, 200, 429],
    "ann's third sign-in in a minute is refused",
  );
  t.same(
    [ann[2]!.json().code, Number(ann[2]!.headers['retry-after']) > 0],
    ['RATE_LIMITED', true],
    'RATE_LIMITED, with Retry-After',
  );
  const others = [await signIn('bob'), await signIn('carol'), await signIn('dave')];
  t.same(
    others.map((r) => r.statusCode),
    [200, 200, 429],
    "the address's sixth request is refused (ann's three counted)",
  );
  t.equal(others[2]!.json().code, 'RATE_LIMITED');
});

t.test('an overloaded process sheds requests with 503 before any route runs; liveness still answers', async (t) => {
  // Shed past 300 ms of event-loop lag: far above what a busy test machine shows by itself.
  const { app, asUser, join } = await buildGateway(t, { MAX_EVENT_LOOP_DELAY_MS: 300 });
  t.equal(
    (await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} })).statusCode,
    200,
    'not shed without load',
  );
  const [ann, bob] = [(await join('q', 'ann')).json().token, (await join('q', 'bob')).json().token];
  const carol = await asUser('carol');

  // The load: the event loop is blocked 600 ms at a time, with a turn in between to serve requests.
  let blocking = true;
  const load = (async () => {
    while (blocking) {
      for (const until = Date.now() + 600; Date.now() < until;);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  t.teardown(async () => {
    blocking = false;
    await load;
  });
  t.ok(await eventually(() => app.isUnderPressure()), 'under-pressure measures the lag');
  // Routes with a body and without: a route without one would run at once after a reply sent early.
  const shed = {
    join: app.inject({ method: 'POST', url: '/queues/q/tokens', headers: carol }),
    leave: app.inject({ method: 'DELETE', url: '/queues/q/tokens/me', headers: bearer(bob) }),
    revoke: app.inject({ method: 'DELETE', url: '/admin/queues/q/users/ann', headers: admin }),
    'settings change': app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: { maxActive: 7 } }),
  };
  const live = app.inject({ method: 'GET', url: '/health/live' });
  const answers = await Promise.all(Object.values(shed));
  t.equal((await live).statusCode, 200, 'liveness is not shed');
  blocking = false;
  await load;

  Object.keys(shed).forEach((name, i) => {
    const response = answers[i]!;
    t.equal(response.statusCode, 503, `${name}: 503`);
    t.same(
      response.json(),
      {
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        error: 'Service Unavailable',
        message: 'Service unavailable, try again shortly',
      },
      `${name}: the contract's body`,
    );
    t.equal(response.headers['retry-after'], '1', `${name}: Retry-After`);
  });
  // No route ran: nothing changed.
  const { waitingRoom } = app;
  const holds = async (token: string) =>
    (await app.inject({ method: 'GET', url: '/queues/q/tokens/me', headers: bearer(token) })).statusCode;
  t.ok(await eventually(() => !app.isUnderPressure()), 'the lag is gone');
  t.same([await holds(ann), await holds(bob)], [200, 200], 'ann was not revoked, bob did not leave');
  const figures = await waitingRoom.figures('q');
  t.same([figures!.waiting + figures!.active, figures!.maxActive], [2, 100], 'carol has no place; settings unchanged');
  t.equal(
    (await app.inject({ method: 'POST', url: '/queues/q/tokens', headers: carol })).statusCode,
    201,
    'served again',
  );
});
