import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { signingKeyFrom } from './keys.js';

/*
 * Test helpers for credentials: the package's `./testing` export, for tests only (never imported
 * by code that ships).
 */

/** The slice of tap's `Test` the helpers need. */
export type Teardown = { teardown(fn: () => unknown): void };

/**
 * A JWKS endpoint of a test's own (an identity provider's, or a gateway's key set), serving the
 * keys it is given and counting its fetches; it can answer 503 (`setDown`) or not answer at all
 * (`setHung`: the connection stays open, nothing comes back). Closed when the test ends.
 */
export async function startJwksServer(t: Teardown, keys: object[] = []) {
  let published = keys;
  let fetches = 0;
  let down = false;
  let hung = false;
  const waiting = new Set<ServerResponse>();
  const server = createServer((_request, response) => {
    fetches++;
    if (hung) {
      waiting.add(response);
      return;
    }
    if (down) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    /** Serves these JWKs from now on. */
    publish(next: object[]) {
      published = next;
    },
    setDown(value: boolean) {
      down = value;
    },
    setHung(value: boolean) {
      hung = value;
    },
    fetches: () => fetches,
  };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Identity tokens for `userId` that must all be refused (`401 IDENTITY_INVALID`), made with the
 * key of the identity provider under test (Ed25519, as the tests' provider signs): expired, from
 * another issuer, for another audience, `alg: none`, HS256 keyed with the provider's public key
 * (PEM, the classic algorithm confusion), and one naming a key id nobody publishes.
 */
export async function refusedIdentityTokens(opts: {
  privateKeyPem: string;
  issuer: string;
  audience: string;
  userId: string;
}): Promise<Record<string, string>> {
  const { kid } = signingKeyFrom(opts.privateKeyPem, 'the identity key');
  const privateKey = createPrivateKey(opts.privateKeyPem);
  const publicKeyPem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: opts.userId, iss: opts.issuer, aud: opts.audience, iat: now, exp: now + 600 };
  const signed = (overrides: object, key = privateKey, keyId = kid) =>
    new SignJWT({ ...claims, ...overrides }).setProtectedHeader({ alg: 'EdDSA', kid: keyId, typ: 'JWT' }).sign(key);
  const unsigned = (alg: string) => `${base64url({ alg, kid, typ: 'JWT' })}.${base64url(claims)}`;
  const hs256 = unsigned('HS256');
  return {
    expired: await signed({ iat: now - 700, exp: now - 60 }),
    'another issuer': await signed({ iss: 'https://impostor.example/' }),
    'another audience': await signed({ aud: 'someone-else' }),
    'alg none': `${unsigned('none')}.`,
    'HS256 keyed with the public key': `${hs256}.${createHmac('sha256', publicKeyPem).update(hs256).digest('base64url')}`,
    'a key id nobody publishes': await signed({}, generateKeyPairSync('ed25519').privateKey, 'unknown-kid'),
  };
}
