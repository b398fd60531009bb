import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { createGatewayClient } from '@concert/contract';
import {
  setupTestContext,
  startStack,
  TEST_ADMIN_KEY,
  TEST_IDENTITY_AUDIENCE,
  TEST_IDENTITY_ISSUER,
} from '@concert/testing';
import { scrape, valueOf } from './prometheus.js';
import { hasNginx, startComposeProxy } from './proxy.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LOAD = ['--conditions=@concert/source', '--import=tsx', 'tools/load/main.ts'];

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

/**
 * Booking behind a front that answers one route with a body of the wrong shape (the dates list as
 * an object, as a misconfigured proxy or cache might): everything else passes through unchanged.
 */
async function startMangledBooking(t: Test, bookingUrl: string) {
  const upstream = new URL(bookingUrl);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && /^\/concerts\/[^/]+\/schedules$/.test(req.url!.split('?')[0]!)) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"schedules":[]}');
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
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
    ? await startComposeProxy(t, { gateway: gatewayUrl, booking: bookingUrl, worker: workerUrl })
    : undefined;
  if (!front) t.comment('nginx is not installed: the load goes to the services directly');

  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  const keyFile = join(dir, 'identity.key');
  writeFileSync(keyFile, context.identityPrivateKeyPem);
  const identityArgs = [
    '--identity-key',
    keyFile,
    '--issuer',
    TEST_IDENTITY_ISSUER,
    '--audience',
    TEST_IDENTITY_AUDIENCE,
  ];
  const run = await runLoadTool([
    ...(front ? ['--gateway', front] : ['--gateway', gatewayUrl, '--booking', bookingUrl]),
    ...identityArgs,
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

  // Stream mode, one active place at a time so that fans wait: each waiter must be admitted
  // through its event stream (the gateway has the route: no fallback to polls).
  await gateway.admin(TEST_ADMIN_KEY).putQueue(queueId, { maxActive: 1 });
  const placementPolls = async () => {
    const scraped = await scrape(gatewayUrl);
    return ['waiting', 'active'].map((outcome) =>
      valueOf(scraped, 'waiting_room_polls_total', { queue: queueId, outcome }),
    );
  };
  const pollsBefore = await placementPolls();
  const streamed = await runLoadTool([
    '--gateway',
    gatewayUrl,
    '--booking',
    bookingUrl,
    ...identityArgs,
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
    '60',
    '--json',
  ]);
  t.equal(streamed.code, 0, `stream mode passed: ${streamed.stderr}`);
  const streamReport = JSON.parse(streamed.stdout);
  t.equal(streamReport.admitted, streamReport.fans, 'every streaming fan was admitted');
  t.same(streamReport.violations, []);
  const waiters = streamReport.admitted - streamReport.admittedAtOnce;
  t.ok(waiters >= 1, `${waiters} of ${streamReport.fans} fans waited (maxActive 1)`);
  t.same(streamReport.streams, { active: waiters }, 'every waiter was admitted through its stream, none fell back');
  t.equal(streamReport.pollsPerWaiter.max, 0, 'no waiter polled');
  t.same(await placementPolls(), pollsBefore, 'the gateway answered no placement poll in the meantime');

  // A deployment answering a shape the tool cannot read fails the run: each fan it met ends in
  // `error` (not silently dropped from the error rate), and the exit status is 1.
  await gateway.admin(TEST_ADMIN_KEY).putQueue(queueId, { maxActive: 10 });
  const mangled = await startMangledBooking(t, bookingUrl);
  const broken = await runLoadTool([
    '--gateway',
    gatewayUrl,
    '--booking',
    mangled,
    ...identityArgs,
    '--rate',
    '5',
    '--duration',
    '1',
    '--max-fans',
    '3',
    '--think',
    '50',
    '--drain',
    '30',
    '--json',
  ]);
  t.equal(broken.code, 1, 'the run failed');
  const brokenReport = JSON.parse(broken.stdout);
  t.ok(brokenReport.fans >= 1, `${brokenReport.fans} fans`);
  t.equal(brokenReport.outcomes.error, brokenReport.fans, 'every fan ended in error');
  t.equal(brokenReport.errorRate, 1);
  t.equal(brokenReport.passed, false);
  const bugs = Object.entries(brokenReport.errors as Record<string, number>).filter(([what]) =>
    what.startsWith('bug '),
  );
  t.equal(
    bugs.reduce((sum, [, n]) => sum + n, 0),
    brokenReport.fans,
    `the unreadable answer is among the errors: ${JSON.stringify(brokenReport.errors)}`,
  );

  // The tool sent a traceparent with every request, and the services logged its trace id.
  const logs = stack.apps.flatMap((app) => app.output).join('');
  t.match(logs, /"traceId":"[0-9a-f]{32}"/, 'trace ids in the services’ logs');
});
