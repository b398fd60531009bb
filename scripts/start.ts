/**
 * `npm start`: the whole system on this machine. Creates the database named in DATABASE_URL if
 * missing, migrates, seeds the demo data, builds what changed (Nx cache), then runs gateway,
 * booking and worker side by side with prefixed logs. Ctrl-C (SIGINT) or SIGTERM stops all three
 * gracefully. Every setting is an environment variable (see README "Configuration").
 */
import { spawnSync } from 'node:child_process';
import concurrently from 'concurrently';
import { loadConfig, ConfigError } from '@concert/config';
import { ensureDatabase, migrate, seedDemoSystem } from '@concert/db';
import { ensureLocalKeyPair } from '@concert/tokens';

const LOCAL_ADMIN_KEY = 'local-admin-key-change-me';

// Local conveniences only; an operator's own values always win.
const env: NodeJS.ProcessEnv = {
  ADMIN_API_KEY: LOCAL_ADMIN_KEY,
  LOG_PRETTY: process.stdout.isTTY ? 'true' : 'false',
  ...process.env,
};

function step(message: string) {
  console.log(process.stdout.isTTY ? `\x1b[1m▸ ${message}\x1b[0m` : `▸ ${message}`);
}

let config;
try {
  config = loadConfig(env);
} catch (error) {
  console.error((error as ConfigError).message);
  process.exit(1);
}

step(`database ${new URL(config.DATABASE_URL).pathname.slice(1)} on ${new URL(config.DATABASE_URL).host}`);
if (await ensureDatabase(config.DATABASE_URL)) console.log('  created');
const applied = await migrate({ databaseUrl: config.DATABASE_URL, log: (line) => console.log(`  ${line}`) });
if (!applied.length) console.log('  schema up to date');

step('demo data');
const { concert, createdSchedules } = await seedDemoSystem(config);
console.log(`  concert "${concert.title}", queue ${concert.queueId}, ${createdSchedules.length} new date(s)`);

if (!config.TOKEN_PRIVATE_KEY && !config.TOKEN_PRIVATE_KEY_FILE) {
  const { publicPath } = ensureLocalKeyPair(config.TOKEN_KEY_DIR);
  step(`token keys: local pair in ${config.TOKEN_KEY_DIR}/ (git-ignored; public key ${publicPath})`);
}

step('build');
const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
});
if (build.status !== 0) {
  console.error('build failed: run `npm run build` to see why');
  process.exit(build.status ?? 1);
}

step(
  `running: gateway http://localhost:${config.GATEWAY_PORT}  booking http://localhost:${config.BOOKING_PORT}  ` +
    `worker http://localhost:${config.WORKER_PORT}  (API docs at /docs; Ctrl-C stops)`,
);
if (env.ADMIN_API_KEY === LOCAL_ADMIN_KEY) console.log(`  admin key for PUT /admin/queues/*: ${LOCAL_ADMIN_KEY}`);

const { result } = concurrently(
  ['gateway', 'booking', 'worker'].map((name) => ({ name, command: `node apps/${name}/dist/main.js`, env })),
  {
    prefix: 'name',
    prefixColors: ['blue', 'green', 'magenta'],
    killOthersOn: ['failure'],
    killSignal: 'SIGTERM',
    padPrefix: true,
  },
);
result.then(
  () => process.exit(0),
  () => process.exit(1),
);
