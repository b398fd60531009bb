/**
 * `npm test`: tap over every project against real PostgreSQL and Redis. Finds the services
 * (TEST_DATABASE_URL / TEST_REDIS_URL, else the local ones, else containers when Docker is there)
 * and, when it started containers, owns them for the whole run: testcontainers removes containers
 * when the process that started them exits, so no short-lived setup script may start them.
 * Extra arguments go to tap (`npm test -- apps/gateway/test`).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { provideTestServices } from '@concert/test-services';

let services;
try {
  services = await provideTestServices();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const require = createRequire(import.meta.url);
const tapPackage = require.resolve('tap/package.json');
const tap = join(dirname(tapPackage), (require(tapPackage) as { bin: { tap: string } }).bin.tap);
const child = spawn(process.execPath, [tap, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_URL: services.databaseUrl, TEST_REDIS_URL: services.redisUrl },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) =>
  child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
);
await services.stop();
process.exit(code);
