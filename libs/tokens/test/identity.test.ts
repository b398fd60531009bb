import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import t, { type Test } from 'tap';
import { exportJWK, SignJWT } from 'jose';
import {
  createIdentityVerifier,
  createQueueTokenSigner,
  createQueueTokenVerifier,
  JWKS_FETCH_TIMEOUT_MS,
  JWKS_REFETCH_COOLDOWN_MS,
  signingKeyFrom,
} from '../src/index.js';
import { startJwksServer } from '../src/testing.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'concert';

type Pair = { privateKey: KeyObject; publicKey: KeyObject; alg: string };
const ed25519 = (): Pair => ({ ...generateKeyPairSync('ed25519'), alg: 'EdDSA' });
const p256 = (): Pair => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' });
const rsa = (): Pair => ({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }), alg: 'RS256' });
const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();

async function identityToken(
  pair: Pair,
  claims: { sub?: string; iss?: string; aud?: string; exp?: number } = {},
  kid?: string,
) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: pair.alg, ...(kid ? { kid } : {}) })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 600);
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'ann');
  return jwt.sign(pair.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWKS endpoint of the test's own, publishing key pairs under the given kids. */
async function jwksServer(t: Test) {
  const server = await startJwksServer(t);
  return {
    ...server,
    async publish(...pairs: [Pair, string][]) {
      server.publish(
        await Promise.all(
          pairs.map(async ([pair, kid]) => ({ ...(await exportJWK(pair.publicKey)), kid, alg: pair.alg, use: 'sig' })),
        ),
      );
    },
  };
}

/** Resolves true once `check` does, false if `timeoutMs` passes first. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
    if (await check()) return true;
  }
  return false;
}

t.test('a static public key: RS256, ES256 and EdDSA providers are accepted, any kid', async (t) => {
  for (const make of [rsa, p256, ed25519]) {
    const pair = make();
    const verifier = createIdentityVerifier({ publicKeyPem: pem(pair.publicKey), issuer: ISSUER, audience: AUDIENCE });
    t.match(await verifier.verify(await identityToken(pair, {}, 'whatever-kid')), { userId: 'ann' }, pair.alg);
  }
});

t.test('forged, expired, foreign and odd identity tokens are IDENTITY_INVALID', async (t) => {
  const pair = ed25519();
  const verifier = createIdentityVerifier({ publicKeyPem: pem(pair.publicKey), issuer: ISSUER, audience: AUDIENCE });
  const good = await identityToken(pair);
  const [header, payload] = good.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  const hs256 = `${b64({ alg: 'HS256', typ: 'JWT' })}.${payload}`;
  const ed = (h: object, p: object) => {
    const input = `${b64(h)}.${b64(p)}`;
    return `${input}.${sign(null, Buffer.from(input), pair.privateKey).toString('base64url')}`;
  };
  const cases: Record<string, string | undefined> = {
    missing: undefined,
    garbage: 'not.a.token',
    expired: await identityToken(pair, { exp: Math.floor(Date.now() / 1000) - 60 }),
    'wrong issuer': await identityToken(pair, { iss: 'https://evil.example/' }),
    'wrong audience': await identityToken(pair, { aud: 'someone-else' }),
    'no subject': await identityToken(pair, { sub: '' }),
    'a subject with spaces': await identityToken(pair, { sub: 'ann smith' }),
    'a subject of 129 characters': await identityToken(pair, { sub: 'x'.repeat(129) }),
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    'HS256 signed with the public key': `${hs256}.${createHmac('sha256', pem(pair.publicKey)).update(hs256).digest('base64url')}`,
    'signed by another key': await identityToken(ed25519()),
    'tampered subject': `${header}.${b64({ ...claims, sub: 'bob' })}.${good.split('.')[2]}`,
    'no exp': ed({ alg: 'EdDSA' }, { sub: 'ann', iss: ISSUER, aud: AUDIENCE }),
  };
  for (const [name, token] of Object.entries(cases)) {
    await t.rejects(verifier.verify(token), { code: 'IDENTITY_INVALID', statusCode: 401 }, name);
  }
  t.match(await verifier.verify(good), { userId: 'ann' }, 'the genuine token still works');
});

t.test('a JWKS: keys found by kid, a rotated key picked up without a restart, an unknown kid refused', async (t) => {
  const jwks = await jwksServer(t);
  const [first, second] = [p256(), rsa()];
  await jwks.publish([first, 'k1']);
  const verifier = createIdentityVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE });
  t.match(await verifier.verify(await identityToken(first, {}, 'k1')), { userId: 'ann' });

  await jwks.publish([first, 'k1'], [second, 'k2']);
  await sleep(JWKS_REFETCH_COOLDOWN_MS + 100);
  t.match(
    await verifier.verify(await identityToken(second, { sub: 'bob' }, 'k2')),
    { userId: 'bob' },
    'a token of a new key is checked against the refetched set',
  );
  await sleep(JWKS_REFETCH_COOLDOWN_MS + 100);
  await t.rejects(
    verifier.verify(await identityToken(ed25519(), {}, 'k3')),
    { code: 'IDENTITY_INVALID' },
    'a kid the provider does not publish is refused',
  );
  t.ok(jwks.fetches() >= 2, `the key set was fetched again on an unknown kid (${jwks.fetches()} fetches)`);
});

t.test("the provider's JWKS unreachable is an outage (503), not a bad token", async (t) => {
  const jwks = await jwksServer(t);
  jwks.setDown(true);
  const verifier = createIdentityVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE });
  await t.rejects(verifier.verify(await identityToken(p256(), {}, 'k1')), {
    code: 'SERVICE_UNAVAILABLE',
    statusCode: 503,
  });
});

t.test('a JWKS that never answers is a 503 within the outage budget of about a second', async (t) => {
  const jwks = await jwksServer(t);
  jwks.setHung(true);
  const verifier = createIdentityVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE });
  const token = await identityToken(p256(), {}, 'k1');
  const started = Date.now();
  await t.rejects(verifier.verify(token), { code: 'SERVICE_UNAVAILABLE' });
  const took = Date.now() - started;
  t.ok(took < 1200, `gave up after ${took} ms (fetch timeout ${JWKS_FETCH_TIMEOUT_MS} ms)`);
  t.equal(jwks.fetches(), 1, 'the request reached the provider');
});

t.test('a key the provider removes is refused once the set is fetched again, remembered tokens too', async (t) => {
  const jwks = await jwksServer(t);
  const [kept, removed] = [p256(), rsa()];
  await jwks.publish([kept, 'k1'], [removed, 'k2']);
  const verifier = createIdentityVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, cacheSize: 100 });
  const mallory = await identityToken(removed, { sub: 'mallory' }, 'k2');
  t.match(await verifier.verify(mallory), { userId: 'mallory' }, 'trusted while published');
  t.match(await verifier.verify(mallory), { userId: 'mallory' }, 'and remembered');

  await jwks.publish([kept, 'k1']);
  await sleep(JWKS_REFETCH_COOLDOWN_MS + 100);
  const fetchesBefore = jwks.fetches();
  await t.rejects(
    verifier.verify(await identityToken(ed25519(), {}, 'k3')),
    { code: 'IDENTITY_INVALID' },
    'an unknown kid makes the set be fetched again',
  );
  t.equal(jwks.fetches(), fetchesBefore + 1, 'once');
  await t.rejects(verifier.verify(mallory), { code: 'IDENTITY_INVALID' }, 'the remembered token of the removed key');
  await t.rejects(
    verifier.verify(await identityToken(removed, { sub: 'mallory' }, 'k2')),
    { code: 'IDENTITY_INVALID' },
    'a new token of the removed key',
  );
  t.match(await verifier.verify(await identityToken(kept, {}, 'k1')), { userId: 'ann' }, 'the kept key still works');
});

t.test('a removed key is refused within the max age even when no token names an unknown kid', async (t) => {
  const jwks = await jwksServer(t);
  const [kept, removed] = [p256(), ed25519()];
  await jwks.publish([kept, 'k1'], [removed, 'k2']);
  const verifier = createIdentityVerifier({
    jwksUrl: jwks.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    cacheSize: 100,
    jwksMaxAgeMs: 500,
  });
  const [ann, mallory] = [await identityToken(kept, {}, 'k1'), await identityToken(removed, { sub: 'mallory' }, 'k2')];
  t.match(await verifier.verify(mallory), { userId: 'mallory' });
  t.match(await verifier.verify(ann), { userId: 'ann' });

  await jwks.publish([kept, 'k1']);
  const started = Date.now();
  const fetchesBefore = jwks.fetches();
  const refused = await eventually(() =>
    verifier.verify(mallory).then(
      () => false,
      (error: { code?: string }) => error.code === 'IDENTITY_INVALID',
    ),
  );
  t.ok(refused, `the removed key's token is refused after ${Date.now() - started} ms`);
  t.match(await verifier.verify(ann), { userId: 'ann' }, 'the kept one is not');
  const fetched = jwks.fetches() - fetchesBefore;
  t.ok(fetched >= 1 && fetched <= 2 + (Date.now() - started) / 500, `fetched ${fetched} times: once per max age`);
});

t.test('while the provider is down, tokens of keys already fetched keep working', async (t) => {
  const jwks = await jwksServer(t);
  const pair = p256();
  await jwks.publish([pair, 'k1']);
  const verifier = createIdentityVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, jwksMaxAgeMs: 300 });
  t.match(await verifier.verify(await identityToken(pair, {}, 'k1')), { userId: 'ann' });
  jwks.setDown(true);
  await sleep(400);
  // Past the max age: the refetch fails in the background; the key at hand still checks tokens.
  for (const sub of ['bob', 'carol']) {
    t.match(await verifier.verify(await identityToken(pair, { sub }, 'k1')), { userId: sub }, sub);
    await sleep(100);
  }
  t.ok(jwks.fetches() >= 2, 'the set was asked for again');
});

t.test("queue tokens checked against the gateway's JWKS, following a key rotation", async (t) => {
  const jwks = await jwksServer(t);
  const keyOf = (pair: Pair) =>
    signingKeyFrom(pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'x');
  const [old, rotated] = [keyOf(ed25519()), keyOf(ed25519())];
  const serve = async (...keys: (typeof old)[]) =>
    jwks.publish(
      ...keys.map((key): [Pair, string] => {
        const privateKey = createPrivateKey(key.privateKeyPem);
        return [{ privateKey, publicKey: createPublicKey(privateKey), alg: 'EdDSA' }, key.kid];
      }),
    );
  await serve(old);
  const verifier = createQueueTokenVerifier({ jwksUrl: jwks.url }, { cacheSize: 100 });
  const claims = { userId: 'ann', queueId: 'q', tokenId: '1', issuedAt: Math.floor(Date.now() / 1000) };
  t.match(await verifier.verify(createQueueTokenSigner(old, { ttlSeconds: 60 }).sign(claims)), claims);

  await serve(old, rotated);
  await sleep(JWKS_REFETCH_COOLDOWN_MS + 100);
  t.match(
    await verifier.verify(createQueueTokenSigner(rotated, { ttlSeconds: 60 }).sign(claims)),
    claims,
    'the new key is fetched when a token names it',
  );
  const stranger = keyOf(ed25519());
  const oldToken = createQueueTokenSigner(old, { ttlSeconds: 60 }).sign({ ...claims, userId: 'bob' });
  t.match(await verifier.verify(oldToken), { userId: 'bob' }, 'the old key still works while published');

  // The old key is rotated out: once the set is fetched again (here on an unknown kid), it is refused.
  await serve(rotated);
  await sleep(JWKS_REFETCH_COOLDOWN_MS + 100);
  await t.rejects(verifier.verify(createQueueTokenSigner(stranger, { ttlSeconds: 60 }).sign(claims)), {
    code: 'TOKEN_INVALID',
  });
  await t.rejects(verifier.verify(oldToken), { code: 'TOKEN_INVALID' }, 'a remembered token of the old key is refused');
  t.match(
    await verifier.verify(createQueueTokenSigner(rotated, { ttlSeconds: 60 }).sign(claims)),
    claims,
    'the new key still works',
  );
});
