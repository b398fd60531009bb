import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { createGatewayClient } from '@concert/contract';
import {
  freePort,
  setupTestContext,
  startStack,
  TEST_ADMIN_KEY,
  TEST_IDENTITY_AUDIENCE,
  TEST_IDENTITY_ISSUER,
} from '@concert/testing';
import { scrape, valueOf } from './prometheus.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LOAD = ['--conditions=@concert/source', '--import=tsx', 'tools/load/main.ts'];
const hasNginx = spawnSync('sh', ['-c', 'command -v nginx']).status === 0;

/** Runs the load tool to completion (bounded: it stops by itself; the test kills it after 120 s). */
function runLoadTool(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...LOAD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The compose proxy's nginx.conf in front of the stack on 127.0.0.1 (the same routes, real nginx). */
async function startProxy(t: Test, upstreams: { gateway: string; booking: string; worker: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-'));
  const port = await freePort();
  let conf = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8').replace(
    'listen 80;',
    `listen 127.0.0.1:${port};`,
  );
  conf = conf
    .replace(/set \$gateway [^;]+;/, `set $gateway ${new URL(upstreams.gateway).host};`)
    .replace(/set \$booking [^;]+;/, `set $booking ${new URL(upstreams.booking).host};`)
    .replace(/set \$worker [^;]+;/, `set $worker ${new URL(upstreams.worker).host};`)
    .replace(/set \$web [^;]+;/, 'set $web 127.0.0.1:9;');
  writeFileSync(join(dir, 'site.conf'), conf);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `user root; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;\n` +
      `events {} http { access_log off; include ${dir}/site.conf; }\n`,
  );
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  t.teardown(() => nginx.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (
      await fetch(`${url}/concerts`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
}

// Real processes and a real journey: more than tap's default 120 s on a busy machine.
t.setTimeout(300_000);

t.test('npm run load -- --help documents itself', async (t) => {
  const help = await runLoadTool(['--help']);
  t.equal(help.code, 0);
  for (const option of [
    '--gateway',
    '--booking',
    '--identity-key',
    '--dev-login',
    '--rate',
    '--ramp-to',
    '--duration',
    '--mode',
    '--think',
    '--json',
  ]) {
    t.match(help.stdout, option, `documents ${option}`);
  }
  const wrong = await runLoadTool(['--gateway', 'http://127.0.0.1:9', '--rate', 'lots', '--dev-login']);
  t.equal(wrong.code, 2, 'a bad option exits 2');
  t.match(wrong.stderr, '--rate must be a number');
});

t.test('a short open-model run of real journeys against the real stack passes its checks', async (t) => {
  const context = await setupTestContext(t, {
    database: true,
    env: { ADMIT_INTERVAL_MS: 200, LOG_LEVEL: 'info' },
  });
  await seedDemoData(context.db as Db);
  const stack = await startStack({ env: context.env });
  t.teardown(() => stack.stop());
  const [gatewayUrl, bookingUrl, workerUrl] = [stack.gateways[0]!, stack.bookings[0]!, stack.workers[0]!];
  const gateway = createGatewayClient(gatewayUrl);
  const queueId = 'demo-tour';
  await gateway.admin(TEST_ADMIN_KEY).putQueue(queueId, { maxActive: 4, activeTtlSeconds: 120 });

  // Through the compose proxy's routing when nginx is here: one URL for both APIs.
  const front = hasNginx
    ? await startProxy(t, { gateway: gatewayUrl, booking: bookingUrl, worker: workerUrl })
    : undefined;
  if (!front) t.comment('nginx is not installed: the load goes to the services directly');

  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  const keyFile = join(dir, 'identity.key');
  writeFileSync(keyFile, context.identityPrivateKeyPem);
  const run = await runLoadTool([
    ...(front ? ['--gateway', front] : ['--gateway', gatewayUrl, '--booking', bookingUrl]),
    '--identity-key',
    keyFile,
    '--issuer',
    TEST_IDENTITY_ISSUER,
    '--audience',
    TEST_IDENTITY_AUDIENCE,
    '--rate',
    '3',
    '--ramp-to',
    '8',
    '--duration',
    '6',
    '--max-fans',
    '40',
    '--think',
    '150',
    '--poll-scale',
    '0.25',
    '--rejoin-every',
    '4',
    '--drain',
    '60',
    '--max-wait',
    '60',
    '--json',
  ]);
  t.equal(run.code, 0, `the load tool passed: ${run.stderr}`);
  const report = JSON.parse(run.stdout);
  t.comment(
    `joins/s ${report.joinsPerSecond}, admission p50 ${report.timeToAdmissionSeconds.p50}s p99 ${report.timeToAdmissionSeconds.p99}s, polls/waiter ${report.pollsPerWaiter.mean}, paid ${report.paid}/${report.fansWithHolds}`,
  );

  t.ok(report.fans >= 15 && report.fans <= 40, `${report.fans} fans arrived (bounded by --max-fans)`);
  t.equal(report.joins, report.fans, 'every fan joined');
  t.equal(report.admitted, report.fans, 'every fan was admitted within the run');
  t.ok(report.admitted > report.admittedAtOnce, 'some fans had to wait (maxActive 4)');
  t.ok(report.pollsPerWaiter.mean >= 1, 'waiters polled');
  t.ok(report.paid >= 1, 'fans paid');
  t.ok(report.holds.won >= report.paid);
  t.same(report.violations, [], 'every invariant visible from outside held');
  t.equal(report.serverErrors, 0, 'no 5xx');
  t.same(report.errors, {}, 'no unexpected error');
  t.ok(report.maxActiveSeen <= 4, `active peaked at ${report.maxActiveSeen} (maxActive 4)`);

  // The services counted the same journeys the tool reports.
  const [g, b] = await Promise.all([scrape(gatewayUrl), scrape(bookingUrl)]);
  const rejoins = Math.ceil(report.fans / 4);
  t.equal(
    valueOf(g, 'waiting_room_joins_total', { queue: queueId }),
    report.joins + rejoins,
    'joins (and second tabs)',
  );
  t.equal(valueOf(g, 'waiting_room_joins_total', { queue: queueId, outcome: 'rejoined' }), rejoins);
  t.equal(valueOf(b, 'booking_payments_total', { outcome: 'paid' }), report.paid, 'payments');
  t.equal(valueOf(b, 'booking_paid_points_total'), report.paidPoints, 'points paid');
  t.equal(valueOf(b, 'booking_holds_total', { outcome: 'won' }), report.holds.won, 'holds won');

  // Stream mode: fans follow the event stream, or fall back to polls where it cannot be had.
  const streamed = await runLoadTool([
    '--gateway',
    gatewayUrl,
    '--booking',
    bookingUrl,
    '--identity-key',
    keyFile,
    '--issuer',
    TEST_IDENTITY_ISSUER,
    '--audience',
    TEST_IDENTITY_AUDIENCE,
    '--mode',
    'stream',
    '--rate',
    '6',
    '--duration',
    '2',
    '--max-fans',
    '10',
    '--think',
    '100',
    '--poll-scale',
    '0.25',
    '--drain',
    '40',
    '--json',
  ]);
  t.equal(streamed.code, 0, `stream mode passed: ${streamed.stderr}`);
  const streamReport = JSON.parse(streamed.stdout);
  t.equal(streamReport.admitted, streamReport.fans, 'every streaming fan was admitted');
  t.same(streamReport.violations, []);
  const waiters = streamReport.admitted - streamReport.admittedAtOnce;
  const followed = Object.values(streamReport.streams as Record<string, number>).reduce((a, b) => a + b, 0);
  t.equal(
    followed,
    waiters,
    `every waiter followed the stream or fell back to polls: ${JSON.stringify(streamReport.streams)}`,
  );

  // The tool sent a traceparent with every request, and the services logged its trace id.
  const logs = stack.apps.flatMap((app) => app.output).join('');
  t.match(logs, /"traceId":"[0-9a-f]{32}"/, 'trace ids in the services’ logs');
});
