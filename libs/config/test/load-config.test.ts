import t from 'tap';
import { loadConfig, requireSettings, ConfigError } from '../src/index.js';

t.test('applies the defaults of DESIGN.md', async (t) => {
  const config = loadConfig({});
  t.equal(config.GATEWAY_PORT, 3000);
  t.equal(config.BOOKING_PORT, 3001);
  t.equal(config.WORKER_PORT, 3002);
  t.equal(config.DATABASE_URL, 'postgresql://postgres@127.0.0.1:5432/concert');
  t.equal(config.REDIS_URL, 'redis://127.0.0.1:6379');
  t.equal(config.HOLD_SECONDS, 300);
  t.equal(config.MAX_HOLDS_PER_USER, 4);
  t.equal(config.MAX_CHARGE, 1_000_000);
  t.equal(config.MAX_BALANCE, 100_000_000);
  t.equal(config.QUEUE_DEFAULT_MAX_ACTIVE, 100);
  t.equal(config.QUEUE_DEFAULT_ACTIVE_TTL_SECONDS, 600);
  t.equal(config.ADMIT_INTERVAL_MS, 1000);
  t.equal(config.ADMIN_API_KEY, undefined);
});

t.test('coerces numbers and booleans from strings and treats empty strings as unset', async (t) => {
  const config = loadConfig({
    HOLD_SECONDS: '5',
    LOG_PRETTY: 'true',
    GATEWAY_PORT: '',
    REDIS_URL: 'redis://127.0.0.1:6379/7',
  });
  t.equal(config.HOLD_SECONDS, 5);
  t.equal(config.LOG_PRETTY, true);
  t.equal(config.GATEWAY_PORT, 3000);
  t.equal(config.REDIS_URL, 'redis://127.0.0.1:6379/7');
});

t.test('refuses bad values with a message naming the variable', async (t) => {
  t.throws(() => loadConfig({ HOLD_SECONDS: 'soon' }), { name: 'ConfigError', message: /HOLD_SECONDS/ });
  t.throws(() => loadConfig({ GATEWAY_PORT: '70000' }), { message: /GATEWAY_PORT/ });
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), { message: /DATABASE_URL/ });
  t.throws(() => loadConfig({ ADMIN_API_KEY: 'short' }), { message: /ADMIN_API_KEY/ });
  t.throws(() => loadConfig({ MAX_CHARGE: '10', MAX_BALANCE: '5' }), ConfigError);
});

t.test('says each problem once, on one line, with what the setting accepts', async (t) => {
  const error = t.throws(() =>
    loadConfig({ LOG_LEVEL: 'verbose', GATEWAY_PORT: 'x', DEV_IDENTITY: 'maybe' }),
  ) as ConfigError;
  const lines = error.message.split('\n');
  t.equal(lines.length, 3, 'one line per bad setting, not one per schema branch');
  t.ok(
    lines.includes('LOG_LEVEL="verbose" is not valid: expected one of fatal, error, warn, info, debug, trace, silent'),
  );
  t.ok(lines.includes('GATEWAY_PORT="x" is not valid: expected an integer from 0 to 65535'));
  t.ok(lines.includes('DEV_IDENTITY="maybe" is not valid: expected true or false'));
});

t.test('never echoes a secret in an error', async (t) => {
  const error = t.throws(() => loadConfig({ ADMIN_API_KEY: 'hunter2' })) as ConfigError;
  t.match(error.message, /ADMIN_API_KEY=\(hidden\) is not valid: expected at least 16 characters/);
  t.notMatch(error.message, /hunter2/);
});

t.test('the development login is refused in production', async (t) => {
  t.throws(() => loadConfig({ DEV_IDENTITY: 'true', NODE_ENV: 'production' }), {
    name: 'ConfigError',
    message: /DEV_IDENTITY=true is refused with NODE_ENV=production/,
  });
  t.equal(loadConfig({ DEV_IDENTITY: 'true' }).DEV_IDENTITY, true, 'fine elsewhere');
});

t.test('requireSettings names every missing setting with the reason', async (t) => {
  const config = loadConfig({});
  const error = t.throws(() =>
    requireSettings(config, [
      { settings: 'ADMIN_API_KEY', why: 'the admin API needs it', satisfied: (c) => Boolean(c.ADMIN_API_KEY) },
      { settings: 'HOST', why: 'always there', satisfied: (c) => Boolean(c.HOST) },
    ]),
  ) as ConfigError;
  t.equal(error.message, 'ADMIN_API_KEY must be set: the admin API needs it');
});

t.test('reads the admin key from ADMIN_API_KEY_FILE (a mounted secret)', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'config-'));
  const file = join(dir, 'admin-key');
  writeFileSync(file, 'an-admin-key-from-a-file\n');
  t.equal(loadConfig({ ADMIN_API_KEY_FILE: file }).ADMIN_API_KEY, 'an-admin-key-from-a-file');
  t.throws(() => loadConfig({ ADMIN_API_KEY_FILE: join(dir, 'missing') }), {
    message: /ADMIN_API_KEY_FILE.*cannot be read/,
  });
  t.throws(() => loadConfig({ ADMIN_API_KEY_FILE: file, ADMIN_API_KEY: 'another-admin-key-0000' }), {
    message: /both set/,
  });
  writeFileSync(file, 'short');
  t.throws(() => loadConfig({ ADMIN_API_KEY_FILE: file }), { message: /ADMIN_API_KEY/ });
});
