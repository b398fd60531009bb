/**
 * `npm start`: the whole system on this machine, in local mode. Creates the database named in
 * DATABASE_URL if missing, migrates, seeds the demo data, creates local key pairs (the only place
 * that ever creates keys), builds what changed (Nx cache), then runs gateway, booking, worker and
 * the web app (the fans' site and the operators' console) side by side with prefixed logs. Ctrl-C (SIGINT) or SIGTERM stops them all gracefully. Every
 * setting is an environment variable (see README "Configuration"); an operator's own values win.
 */
import { spawnSync } from 'node:child_process';
import concurrently from 'concurrently';
import { loadConfig, type ConfigError } from '@concert/config';
import { connectDatabase, ensureDatabase, migrate, queueDefaultsOf, seedDemoData } from '@concert/db';
import { ensureLocalKeyPair } from '@concert/tokens';

const LOCAL_ADMIN_KEY = 'local-admin-key-change-me';
/** Where local key pairs live (git-ignored). */
const LOCAL_KEY_DIR = process.env.LOCAL_KEY_DIR ?? '.keys';

const tty = process.stdout.isTTY;
const step = (message: string) => console.log(tty ? `\x1b[1m▸ ${message}\x1b[0m` : `▸ ${message}`);
const warn = (message: string) => console.log(tty ? `\x1b[1;33m! ${message}\x1b[0m` : `! ${message}`);

const webPort = process.env.WEB_PORT ?? '3003';
// Local conveniences only; an operator's own values always win.
const env: NodeJS.ProcessEnv = {
  ADMIN_API_KEY: LOCAL_ADMIN_KEY,
  DEV_IDENTITY: 'true',
  CORS_ORIGINS: `http://localhost:${webPort},http://127.0.0.1:${webPort}`,
  LOG_PRETTY: tty ? 'true' : 'false',
  ...process.env,
};

// Keys: the queue-token pair and the development identity provider's pair, created once.
const configured = (name: string) => Boolean(env[name] || env[`${name}_FILE`]);
if (!configured('TOKEN_PRIVATE_KEY')) {
  const { privatePath, publicPath } = ensureLocalKeyPair(LOCAL_KEY_DIR, 'queue-token');
  env.TOKEN_PRIVATE_KEY_FILE = privatePath;
  if (!configured('TOKEN_PUBLIC_KEY') && !env.QUEUE_JWKS_URL) env.TOKEN_PUBLIC_KEY_FILE = publicPath;
}
if (env.DEV_IDENTITY === 'true' && !configured('DEV_IDENTITY_PRIVATE_KEY')) {
  const { privatePath, publicPath } = ensureLocalKeyPair(LOCAL_KEY_DIR, 'dev-identity');
  env.DEV_IDENTITY_PRIVATE_KEY_FILE = privatePath;
  if (!configured('IDENTITY_PUBLIC_KEY') && !env.IDENTITY_JWKS_URL) env.IDENTITY_PUBLIC_KEY_FILE = publicPath;
}

let config;
try {
  config = loadConfig(env);
} catch (error) {
  console.error(`Invalid configuration:\n${(error as ConfigError).message}`);
  process.exit(1);
}

const database = new URL(config.DATABASE_URL);
step(`database ${database.pathname.slice(1)} on ${database.host}`);
if (await ensureDatabase(config.DATABASE_URL)) console.log('  created');
const applied = await migrate({ databaseUrl: config.DATABASE_URL, log: (line) => console.log(`  ${line}`) });
if (!applied.length) console.log('  schema up to date');

step('demo data');
const { db, close } = connectDatabase(config.DATABASE_URL, { poolSize: 2 });
try {
  const { concert, createdSchedules } = await seedDemoData(db, { queueDefaults: queueDefaultsOf(config) });
  console.log(`  concert "${concert.title}", queue ${concert.queueId}, ${createdSchedules.length} new date(s)`);
} finally {
  await close();
}
step(`keys in ${LOCAL_KEY_DIR}/ (git-ignored)`);

step('build');
const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
});
if (build.status !== 0) {
  console.error('build failed: run `npm run build` to see why');
  process.exit(build.status ?? 1);
}

step(`fans' site:        http://localhost:${config.WEB_PORT}/`);
step(`operators' console: http://localhost:${config.WEB_PORT}/console/`);
if (env.ADMIN_API_KEY === LOCAL_ADMIN_KEY) console.log(`  admin key (X-Admin-Key): ${LOCAL_ADMIN_KEY}`);
step(
  `running: gateway http://localhost:${config.GATEWAY_PORT}  booking http://localhost:${config.BOOKING_PORT}  ` +
    `worker http://localhost:${config.WORKER_PORT}  web http://localhost:${config.WEB_PORT}  (Ctrl-C stops)`,
);
console.log(`  API docs: http://localhost:${config.GATEWAY_PORT}/docs  http://localhost:${config.BOOKING_PORT}/docs`);
if (config.DEV_IDENTITY) {
  warn('DEVELOPMENT LOGIN ON (DEV_IDENTITY=true): POST /dev/identity signs anyone in as anyone.');
  warn('Local use only; configure IDENTITY_JWKS_URL / IDENTITY_ISSUER / IDENTITY_AUDIENCE for real fans.');
}

const { result } = concurrently(
  [
    ...['gateway', 'booking', 'worker'].map((name) => ({ name, command: `node apps/${name}/dist/main.js`, env })),
    { name: 'web', command: 'node apps/web/dist/server/main.js', env },
  ],
  {
    prefix: 'name',
    prefixColors: ['blue', 'green', 'magenta', 'cyan'],
    killOthersOn: ['failure'],
    killSignal: 'SIGTERM',
    padPrefix: true,
  },
);
result.then(
  () => process.exit(0),
  () => process.exit(1),
);
