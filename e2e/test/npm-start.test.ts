import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createBookingClient, createGatewayClient } from '@concert/contract';
import { dropDatabase } from '@concert/db';
import { freePort, setupTestContext } from '@concert/testing';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A delay that does not keep the process alive once everything else is done. */
const deadlineAfter = (ms: number) =>
  new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());

// A cold build of every project is part of this test: allow more than tap's default per file.
t.setTimeout(300_000);

async function ready(url: string) {
  try {
    return (await fetch(`${url}/health/ready`)).ok;
  } catch {
    return false;
  }
}

t.test(
  'npm start: creates the database, migrates, seeds, builds, runs all four; Ctrl-C stops them',
  { timeout: 300_000 },
  async (t) => {
    const context = await setupTestContext(t);
    const url = new URL(context.config.DATABASE_URL);
    url.pathname = `/concert_start_${randomBytes(4).toString('hex')}`; // does not exist yet
    const databaseUrl = url.toString();
    t.teardown(() => dropDatabase(databaseUrl));
    const [gatewayPort, bookingPort, workerPort, webPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // npm start's local mode supplies an admin key, the key pairs and the development login.
    const {
      ADMIN_API_KEY: _admin,
      TOKEN_PRIVATE_KEY: _private,
      TOKEN_PUBLIC_KEY: _public,
      IDENTITY_PUBLIC_KEY: _identity,
      IDENTITY_ISSUER: _issuer,
      IDENTITY_AUDIENCE: _audience,
      ...env
    } = context.env;
    const keyDir = t.testdir();

    const output: string[] = [];
    const child = spawn('npm', ['start'], {
      env: {
        ...process.env,
        ...env,
        DATABASE_URL: databaseUrl,
        GATEWAY_PORT: String(gatewayPort),
        BOOKING_PORT: String(bookingPort),
        WORKER_PORT: String(workerPort),
        WEB_PORT: String(webPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        LOCAL_KEY_DIR: keyDir,
      },
      detached: true, // its own process group, so Ctrl-C can be sent to all of it
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    t.teardown(() => {
      // A child ended by a signal has exitCode null and signalCode set; its group may be gone.
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    });

    const urls = [gatewayPort, bookingPort, workerPort, webPort].map((port) => `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 240_000;
    while (!(await Promise.all(urls.map(ready))).every(Boolean)) {
      if (Date.now() > deadline || child.exitCode !== null) {
        t.fail(`the system did not come up:\n${output.join('')}`);
        return;
      }
      await sleep(500);
    }
    t.pass('gateway, booking, worker and web all answer /health/ready');
    const log = output.join('');
    t.match(
      log,
      new RegExp(
        `fans' site: +http://localhost:${webPort}/\\n.*operators' console: http://localhost:${webPort}/console/`,
      ),
      'it prints the site and console URLs',
    );
    t.ok(
      log.indexOf(`http://localhost:${webPort}/`) < log.indexOf(`http://localhost:${gatewayPort}`),
      'before any other URL',
    );
    t.match(log, /created/, 'the missing database was created');
    t.match(log, /applied migration \d+_init/, 'migrations were applied');
    t.match(log, /applied migration \d+_durable_queue_settings/, 'every one of them');

    t.match(log, /DEVELOPMENT LOGIN ON/, 'it says loudly that the development login is on');
    t.ok(existsSync(join(keyDir, 'queue-token-ed25519.key')), 'it made the local queue-token key pair');
    t.ok(existsSync(join(keyDir, 'dev-identity-ed25519.key')), 'and the development identity key pair');

    const gateway = createGatewayClient(urls[0]!);
    const booking = createBookingClient(urls[1]!);
    const { data: concerts } = await booking.listConcerts();
    t.match(concerts, [{ queueId: 'demo-tour' }], 'the demo concert was seeded');
    const { data: grant } = await gateway.createDevIdentity('newcomer');
    const joined = await gateway.joinQueue('demo-tour', grant.identityToken);
    t.equal(joined.status, 201, 'a fan signed in with the development login joins the seeded queue');
    const { data: balance } = await booking.getBalance(joined.data.token);
    t.same(balance, { userId: 'newcomer', balance: 0 }, 'and booking trusts the queue token (keys agree)');
    t.same((await booking.getBalance(grant.identityToken)).data, balance, 'and the identity token, for the account');
    const admin = await gateway.admin('local-admin-key-change-me').putQueue('demo-tour', { maxActive: 10 });
    t.equal(admin.status, 200, 'the local admin key works');

    const site = await fetch(`${urls[3]}/`);
    t.equal(site.status, 200, "the web app serves the fans' site");
    t.match(await site.text(), /<div id="app">/);
    t.match(await (await fetch(`${urls[3]}/console/`)).text(), /Operators’ console/, 'and the console');
    const siteConfig = (await (await fetch(`${urls[3]}/config.json`)).json()) as Record<string, unknown>;
    t.match(
      siteConfig,
      { gatewayUrl: `http://localhost:${gatewayPort}`, bookingUrl: `http://localhost:${bookingPort}`, devLogin: true },
      'pointing the browser at the APIs, with the development login',
    );
    const preflight = await fetch(`${urls[0]}/queues/demo-tour/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: `http://localhost:${webPort}`,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    t.equal(
      preflight.headers.get('access-control-allow-origin'),
      `http://localhost:${webPort}`,
      "and the gateway lets the site's origin call it",
    );

    // The load tool against what npm start runs: a short open-model run, fans signing in with the
    // development login and following their place over the event stream.
    const load = await run(
      'npm',
      [
        'run',
        '--silent',
        'load',
        '--',
        ...['--gateway', urls[0]!, '--booking', urls[1]!, '--dev-login', '--mode', 'stream'],
        ...['--rate', '4', '--duration', '3', '--think', '50', '--drain', '30', '--json'],
      ],
      { env: process.env, timeout: 90_000, maxBuffer: 10_000_000 },
    ).catch((error: { stdout?: string; stderr?: string; code?: number }) => error);
    const report = JSON.parse(load.stdout!.slice(load.stdout!.indexOf('{'))) as {
      fans: number;
      paid: number;
      violations: string[];
      passed: boolean;
    };
    t.ok(report.passed, `npm run load passes against npm start (${report.fans} fans, ${report.paid} paid)`);
    t.ok(report.paid > 0, 'fans paid');
    t.same(report.violations, [], 'no invariant it can see from outside was violated');

    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, deadlineAfter(60_000)]);
    t.not(code, 'timeout', 'everything stopped after Ctrl-C');
    t.same(await Promise.all(urls.map(ready)), [false, false, false, false], 'no service is left listening');
  },
);
