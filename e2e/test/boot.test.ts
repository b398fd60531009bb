import { spawn } from 'node:child_process';
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
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
