import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '@concert/config';
import { bookingTokensOptions, gatewayTokensOptions } from '../src/index.js';

const privatePem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicPem = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();
const queueKeys = generateKeyPairSync('ed25519');
const identityKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });

const identity = {
  IDENTITY_PUBLIC_KEY: publicPem(identityKeys.publicKey),
  IDENTITY_ISSUER: 'https://id.example/',
  IDENTITY_AUDIENCE: 'concert',
};
const gatewayEnv = { TOKEN_PRIVATE_KEY: privatePem(queueKeys.privateKey), ...identity };
const bookingEnv = { TOKEN_PUBLIC_KEY: publicPem(queueKeys.publicKey), ...identity };

/** The ConfigError lines a process's token options give for `env`, or [] when it is accepted. */
function problems(options: typeof gatewayTokensOptions, env: Record<string, string | undefined>): string[] {
  try {
    options(loadConfig(env));
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n');
  }
}

t.test('well-formed keys are accepted, the text escaped as in env files or not', async (t) => {
  t.same(problems(gatewayTokensOptions, gatewayEnv), []);
  t.same(problems(bookingTokensOptions, bookingEnv), []);
  const escaped = { ...gatewayEnv, TOKEN_PRIVATE_KEY: gatewayEnv.TOKEN_PRIVATE_KEY.replace(/\n/g, '\\n') };
  t.same(problems(gatewayTokensOptions, escaped), []);
  for (const key of [rsa, generateKeyPairSync('ed25519')]) {
    t.same(problems(bookingTokensOptions, { ...bookingEnv, IDENTITY_PUBLIC_KEY: publicPem(key.publicKey) }), []);
  }
});

t.test('every key setting is read and parsed at boot: a bad one is one line naming the variable', async (t) => {
  const dir = t.testdir({ 'garbage.pem': 'not a key\n', 'rsa.key': privatePem(rsa.privateKey) });
  const missing = join(dir, 'missing.key');
  const cases: [string, typeof gatewayTokensOptions, Record<string, string | undefined>, string | RegExp][] = [
    [
      'an unreadable private key file',
      gatewayTokensOptions,
      { ...gatewayEnv, TOKEN_PRIVATE_KEY: undefined, TOKEN_PRIVATE_KEY_FILE: missing },
      new RegExp(`^TOKEN_PRIVATE_KEY_FILE="${missing}" cannot be read: ENOENT`),
    ],
    [
      'private key text that is no key',
      gatewayTokensOptions,
      { ...gatewayEnv, TOKEN_PRIVATE_KEY: 'garbage' },
      'TOKEN_PRIVATE_KEY=(hidden) is not valid: expected an Ed25519 private key (PEM)',
    ],
    [
      'a private key file that holds no key',
      gatewayTokensOptions,
      { ...gatewayEnv, TOKEN_PRIVATE_KEY: undefined, TOKEN_PRIVATE_KEY_FILE: join(dir, 'garbage.pem') },
      `TOKEN_PRIVATE_KEY_FILE="${join(dir, 'garbage.pem')}" is not valid: expected an Ed25519 private key (PEM)`,
    ],
    [
      'an RSA signing key',
      gatewayTokensOptions,
      { ...gatewayEnv, TOKEN_PRIVATE_KEY: undefined, TOKEN_PRIVATE_KEY_FILE: join(dir, 'rsa.key') },
      `TOKEN_PRIVATE_KEY_FILE="${join(dir, 'rsa.key')}" is not valid: expected an Ed25519 private key (PEM), not rsa`,
    ],
    [
      'the key both as text and as a file',
      gatewayTokensOptions,
      { ...gatewayEnv, TOKEN_PRIVATE_KEY_FILE: join(dir, 'rsa.key') },
      'TOKEN_PRIVATE_KEY and TOKEN_PRIVATE_KEY_FILE are both set: set one of them',
    ],
    [
      'a development identity key that is no key',
      gatewayTokensOptions,
      { ...gatewayEnv, DEV_IDENTITY: 'true', DEV_IDENTITY_PRIVATE_KEY: 'garbage' },
      'DEV_IDENTITY_PRIVATE_KEY=(hidden) is not valid: expected an Ed25519 private key (PEM)',
    ],
    [
      "an identity provider's key that is no key (gateway)",
      gatewayTokensOptions,
      { ...gatewayEnv, IDENTITY_PUBLIC_KEY: 'garbage' },
      'IDENTITY_PUBLIC_KEY=(hidden) is not valid: expected an RSA, P-256 or Ed25519 public key (PEM)',
    ],
    [
      "an identity provider's key that is no key (booking)",
      bookingTokensOptions,
      { ...bookingEnv, IDENTITY_PUBLIC_KEY: 'garbage' },
      'IDENTITY_PUBLIC_KEY=(hidden) is not valid: expected an RSA, P-256 or Ed25519 public key (PEM)',
    ],
    [
      'an identity key on a curve no allowed algorithm uses',
      bookingTokensOptions,
      { ...bookingEnv, IDENTITY_PUBLIC_KEY: publicPem(p384.publicKey) },
      'IDENTITY_PUBLIC_KEY=(hidden) is not valid: expected an RSA, P-256 or Ed25519 public key (PEM), not secp384r1',
    ],
    [
      'an unreadable identity key file',
      bookingTokensOptions,
      { ...bookingEnv, IDENTITY_PUBLIC_KEY: undefined, IDENTITY_PUBLIC_KEY_FILE: missing },
      new RegExp(`^IDENTITY_PUBLIC_KEY_FILE="${missing}" cannot be read: ENOENT`),
    ],
    [
      'a queue-token public key that is no key',
      bookingTokensOptions,
      { ...bookingEnv, TOKEN_PUBLIC_KEY: 'garbage' },
      'TOKEN_PUBLIC_KEY=(hidden) is not valid: expected an Ed25519 public key (PEM)',
    ],
    [
      'a JWKS URL that no URL parser takes',
      bookingTokensOptions,
      { ...bookingEnv, TOKEN_PUBLIC_KEY: undefined, QUEUE_JWKS_URL: 'http://[gateway]/jwks.json' },
      'QUEUE_JWKS_URL="http://[gateway]/jwks.json" is not valid: expected an http(s) URL',
    ],
  ];
  for (const [name, options, env, expected] of cases) {
    const lines = problems(options, env);
    t.equal(lines.length, 1, `${name}: one line`);
    if (typeof expected === 'string') t.equal(lines[0], expected, name);
    else t.match(lines[0], expected, name);
  }
});

t.test('every bad key at once, and never a secret in the message', async (t) => {
  const secret = privatePem(rsa.privateKey);
  const lines = problems(gatewayTokensOptions, {
    ...gatewayEnv,
    TOKEN_PRIVATE_KEY: secret,
    IDENTITY_PUBLIC_KEY: 'garbage',
    IDENTITY_ISSUER: undefined,
  });
  t.match(lines, [
    /^TOKEN_PRIVATE_KEY=\(hidden\) /,
    /^IDENTITY_PUBLIC_KEY=\(hidden\) /,
    /^IDENTITY_ISSUER must be set/,
  ]);
  t.notMatch(lines.join('\n'), /PRIVATE KEY-----|[A-Za-z0-9+/]{40}/, 'no key material');
});
