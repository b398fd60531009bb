import { spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';

/** Runs an app's entry point with exactly `env` (plus PATH); its exit code and what it printed. */
function boot(app: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@concert/source', '--import=tsx', `apps/${app}/src/main.ts`], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

t.test('booking without queue-token keys refuses to start, naming the settings in one line', async (t) => {
  const { code, stderr } = await boot('booking', {
    IDENTITY_JWKS_URL: 'https://id.example/jwks',
    IDENTITY_ISSUER: 'x',
    IDENTITY_AUDIENCE: 'y',
  });
  t.equal(code, 1, 'exit 1');
  t.same(stderr.trim().split('\n'), [
    'Invalid configuration:',
    "  QUEUE_JWKS_URL or TOKEN_PUBLIC_KEY or TOKEN_PUBLIC_KEY_FILE must be set: booking checks queue tokens with the gateway's public key",
  ]);
  t.notMatch(stderr, /\bat \S+:\d+/, 'no stack trace');
});

t.test('the gateway names every missing or bad setting, one line each', async (t) => {
  const { code, stderr } = await boot('gateway', { LOG_LEVEL: 'loud' });
  t.equal(code, 1);
  t.same(stderr.trim().split('\n'), [
    'Invalid configuration:',
    '  LOG_LEVEL="loud" is not valid: expected one of fatal, error, warn, info, debug, trace, silent',
  ]);
  const missing = await boot('gateway', {});
  t.equal(missing.code, 1);
  t.match(
    missing.stderr.trim().split('\n'),
    [
      'Invalid configuration:',
      /^ {2}ADMIN_API_KEY must be set: /,
      /^ {2}TOKEN_PRIVATE_KEY or TOKEN_PRIVATE_KEY_FILE must be set: /,
      /^ {2}IDENTITY_JWKS_URL or IDENTITY_PUBLIC_KEY or IDENTITY_PUBLIC_KEY_FILE must be set: /,
      /^ {2}IDENTITY_ISSUER must be set: /,
      /^ {2}IDENTITY_AUDIENCE must be set: /,
    ],
    'everything missing, at once, one line each',
  );
  t.notMatch(missing.stderr, /\bat \S+:\d+/, 'no stack trace');
});

t.test('the development login is refused in production', async (t) => {
  const { code, stderr } = await boot('gateway', { DEV_IDENTITY: 'true', NODE_ENV: 'production' });
  t.equal(code, 1);
  t.match(stderr, /DEV_IDENTITY=true is refused with NODE_ENV=production/);
});

t.test('a key setting that is unreadable or no key of the right kind: exit 1, one line naming it', async (t) => {
  const pem = (key: KeyObject, type: 'pkcs8' | 'spki') => key.export({ format: 'pem', type }).toString();
  const ed25519 = generateKeyPairSync('ed25519');
  const identity = {
    IDENTITY_PUBLIC_KEY: pem(generateKeyPairSync('ed25519').publicKey, 'spki'),
    IDENTITY_ISSUER: 'https://id.example/',
    IDENTITY_AUDIENCE: 'concert',
  };
  const gateway = { ADMIN_API_KEY: 'boot-test-admin-key-0123', ...identity };
  const missingFile = join(t.testdir(), 'token.key');
  const cases: [string, 'gateway' | 'booking', Record<string, string>, string | RegExp][] = [
    [
      'TOKEN_PRIVATE_KEY_FILE unreadable',
      'gateway',
      { ...gateway, TOKEN_PRIVATE_KEY_FILE: missingFile },
      new RegExp(`^ {2}TOKEN_PRIVATE_KEY_FILE="${missingFile}" cannot be read: ENOENT: no such file or directory`),
    ],
    [
      'TOKEN_PRIVATE_KEY not a key',
      'gateway',
      { ...gateway, TOKEN_PRIVATE_KEY: 'garbage' },
      '  TOKEN_PRIVATE_KEY=(hidden) is not valid: expected an Ed25519 private key (PEM)',
    ],
    [
      'TOKEN_PRIVATE_KEY not Ed25519',
      'gateway',
      { ...gateway, TOKEN_PRIVATE_KEY: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'pkcs8') },
      '  TOKEN_PRIVATE_KEY=(hidden) is not valid: expected an Ed25519 private key (PEM), not prime256v1',
    ],
    [
      'IDENTITY_PUBLIC_KEY not a key, on booking',
      'booking',
      { ...identity, TOKEN_PUBLIC_KEY: pem(ed25519.publicKey, 'spki'), IDENTITY_PUBLIC_KEY: 'garbage' },
      '  IDENTITY_PUBLIC_KEY=(hidden) is not valid: expected an RSA, P-256 or Ed25519 public key (PEM)',
    ],
  ];
  // Side by side: each is a process boot of a few seconds.
  const results = await Promise.all(cases.map(([, app, env]) => boot(app, env)));
  cases.forEach(([name, , , expected], i) => {
    const { code, stderr } = results[i]!;
    t.equal(code, 1, `${name}: exit 1`);
    const lines = stderr.trim().split('\n');
    t.equal(lines.length, 2, `${name}: one line under the heading`);
    t.equal(lines[0], 'Invalid configuration:', name);
    if (typeof expected === 'string') t.equal(lines[1], expected, name);
    else t.match(lines[1], expected, name);
    t.notMatch(stderr, /\bat \S+:\d+/, `${name}: no stack trace`);
  });
});
