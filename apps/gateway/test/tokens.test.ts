import { createHmac, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import t from 'tap';
import { admin, bearer, buildGateway } from './helper.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function signEdDsa(header: object, payload: object, privateKeyPem: string) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

t.test('forged, tampered and foreign tokens are 401 TOKEN_INVALID', async (t) => {
  const { app, config, join, identityToken } = await buildGateway(t);
  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  await app.inject({ method: 'PUT', url: '/admin/queues/other', headers: admin, payload: {} });
  const joined = (await join('q', 'mallory')).json();
  const real: string = joined.token;
  const [headerPart, payloadPart] = real.split('.');
  const header = JSON.parse(Buffer.from(headerPart!, 'base64url').toString());
  const payload = JSON.parse(Buffer.from(payloadPart!, 'base64url').toString());

  t.equal(header.alg, 'EdDSA', 'tokens are Ed25519-signed');
  t.type(header.kid, 'string', 'tokens carry a key id');
  t.match(payload, { sub: 'mallory', qid: 'q', jti: /^\d+$/ });
  t.equal(payload.exp - payload.iat, config.TOKEN_TTL_SECONDS, 'exp is a hard upper bound');

  const { privateKey: otherKey } = generateKeyPairSync('ed25519');
  const otherPem = otherKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const forgeries: Record<string, Record<string, string>> = {
    'no token': {},
    'not a bearer token': { authorization: `Basic ${real}` },
    garbage: bearer('abc.def.ghi'),
    'alg none': bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${payloadPart}.`),
    'HS256 signed with the public key': bearer(
      `${b64({ alg: 'HS256', typ: 'JWT' })}.${payloadPart}.${createHmac('sha256', config.TOKEN_PUBLIC_KEY!)
        .update(`${b64({ alg: 'HS256', typ: 'JWT' })}.${payloadPart}`)
        .digest('base64url')}`,
    ),
    'tampered payload': bearer(`${headerPart}.${b64({ ...payload, sub: 'alice' })}.${real.split('.')[2]}`),
    'signed by another key': bearer(signEdDsa(header, payload, otherPem)),
    'expired exp': bearer(
      signEdDsa(header, { ...payload, iat: payload.iat - 100_000, exp: payload.iat - 10 }, config.TOKEN_PRIVATE_KEY!),
    ),
    'missing qid': bearer(signEdDsa(header, { ...payload, qid: undefined }, config.TOKEN_PRIVATE_KEY!)),
    'unknown key id': bearer(signEdDsa({ ...header, kid: 'someone-else' }, payload, config.TOKEN_PRIVATE_KEY!)),
    'an identity token instead': bearer(await identityToken('mallory')),
  };
  for (const [name, headers] of Object.entries(forgeries)) {
    const response = await app.inject({ method: 'GET', url: '/queues/q/tokens/me', headers });
    t.equal(response.statusCode, 401, name);
    t.equal(response.json().code, 'TOKEN_INVALID', name);
    t.equal(response.headers['www-authenticate'], 'Bearer realm="concert"', `${name}: a 401 names its challenge`);
  }

  const otherQueue = await app.inject({ method: 'GET', url: '/queues/other/tokens/me', headers: bearer(real) });
  t.equal(otherQueue.statusCode, 401, 'a token for another queue');
  t.equal(otherQueue.json().code, 'TOKEN_INVALID');
  const leaveOther = await app.inject({ method: 'DELETE', url: '/queues/other/tokens/me', headers: bearer(real) });
  t.equal(leaveOther.json().code, 'TOKEN_INVALID', 'nor can it leave another queue');

  const stillFine = await app.inject({ method: 'GET', url: '/queues/q/tokens/me', headers: bearer(real) });
  t.equal(stillFine.statusCode, 200, 'the genuine token still works');
});

t.test('the JWKS publishes the public key only, and it verifies the tokens', async (t) => {
  const { app, join } = await buildGateway(t);
  const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  t.equal(response.statusCode, 200);
  const { keys } = response.json();
  t.equal(keys.length, 1);
  t.match(keys[0], { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: /\S+/, x: /\S+/ });
  t.notOk('d' in keys[0], 'no private part');

  await app.inject({ method: 'PUT', url: '/admin/queues/q', headers: admin, payload: {} });
  const token = (await join('q', 'u')).json().token;
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
  t.equal(header.kid, keys[0].kid, 'tokens name the published key');
});
