/**
 * `npm run load -- --help`: an open-model load driver for a running deployment. Fans arrive at
 * a set rate (ramping), whatever the system's answers, and each walks the real journey over the
 * typed clients of libs/contract.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createBookingClient, createGatewayClient, type Concert } from '@concert/contract';
import { identityFromDevLogin, identityFromKey, type IdentitySource } from './identity.js';
import { runFan, type SoldSeat } from './journey.js';
import { createStats, mean, quantile, type Stats } from './stats.js';

const HELP = `npm run load -- [options]

An open-model load driver for a running deployment: fans arrive at a rate (a ramp from
--rate to --ramp-to over --ramp seconds, then steady), each signs in, joins the queue, follows
its place (paced polls at pollAfterSeconds, or the event stream), browses dates and seats,
holds, charges points and pays (or cancels), with think times between steps. New fans keep
arriving whatever the system answers. Every request carries a W3C traceparent (one trace per fan).

Where:
  --gateway URL          the gateway (or the one host in front of everything)   [required]
  --booking URL          booking (default: the --gateway URL)
  --queue ID             the queue to join (default: the first concert's queue)

Who the fans are (one of):
  --identity-key FILE    PEM private key of an identity provider the deployment trusts
                         (Ed25519, P-256 or RSA), with --issuer and --audience
  --issuer ISS           the iss of minted identity tokens
  --audience AUD         the aud of minted identity tokens
  --dev-login            POST /dev/identity (deployments with DEV_IDENTITY=true)
  --user-prefix TEXT     user ids are TEXT-0, TEXT-1, ... (default: load-<random>)

How much:
  --rate N               fans arriving per second at the start (default 5)
  --ramp-to N            arrivals per second at the end of the ramp (default: --rate)
  --ramp SECONDS         length of the ramp (default: --duration)
  --duration SECONDS     how long fans keep arriving (default 30)
  --max-fans N           no more arrivals after N fans (default 10000)
  --max-in-flight N      arrivals are shed (and counted) while N fans are running (default 5000)
  --drain SECONDS        after arrivals stop, how long running fans may finish (default 60);
                         then they are stopped and the report printed

How fans behave:
  --mode poll|stream     follow the place by polls or by the event stream (falls back to polls) (default poll)
  --think MS             mean think time between steps, exponential (default 1000)
  --seats N              seats per hold: 1 sends { seatNo }, more { seatNos } (default 1)
  --pay-ratio R          share of fans holding seats who pay; the others cancel (default 0.9)
  --poll-scale F         wait F x pollAfterSeconds between polls (default 1)
  --max-wait SECONDS     a waiter gives up and leaves after this long (default 600)
  --rejoin-every N       every N-th fan joins twice, checking it keeps one place (default 10; 0 = never)

Output:
  --json                 the report as JSON on stdout
  --max-error-rate R     exit 1 when more than R of the fans hit an unexpected error (default 0.01)
  -h, --help             this text

The report: joins per second, time to admission (p50/p90/p99/max), polls per waiter, holds won
and lost, hold-to-paid conversion, errors by operation and code, and the invariants visible from
outside: active never above maxActive (sampled from GET /queues/{id}), one place per fan (a
second join gives the same token), no seat paid twice, payment = sum of held prices, the queue
token ends with the payment, balance = charged - paid. Exit status 1 on any violation.

Rate limits: a deployment's per-address and per-identity limits (ADDRESS_RATE_LIMIT_PER_MINUTE,
JOIN_RATE_LIMIT_PER_MINUTE, BOOKING_WRITE_RATE_LIMIT_PER_MINUTE) apply to the load too: raise
them (0 = off) for a load test from one machine, or expect RATE_LIMITED in the errors.

Example (npm start's development login, its per-address limit off):
  ADDRESS_RATE_LIMIT_PER_MINUTE=0 npm start
  npm run load -- --gateway http://localhost:3000 --booking http://localhost:3001 --dev-login \\
    --rate 5 --ramp-to 50 --duration 60
`;

const OPTIONS = {
  gateway: { type: 'string' },
  booking: { type: 'string' },
  queue: { type: 'string' },
  'identity-key': { type: 'string' },
  issuer: { type: 'string' },
  audience: { type: 'string' },
  'dev-login': { type: 'boolean', default: false },
  'user-prefix': { type: 'string' },
  rate: { type: 'string', default: '5' },
  'ramp-to': { type: 'string' },
  ramp: { type: 'string' },
  duration: { type: 'string', default: '30' },
  'max-fans': { type: 'string', default: '10000' },
  'max-in-flight': { type: 'string', default: '5000' },
  drain: { type: 'string', default: '60' },
  mode: { type: 'string', default: 'poll' },
  think: { type: 'string', default: '1000' },
  seats: { type: 'string', default: '1' },
  'pay-ratio': { type: 'string', default: '0.9' },
  'poll-scale': { type: 'string', default: '1' },
  'max-wait': { type: 'string', default: '600' },
  'rejoin-every': { type: 'string', default: '10' },
  json: { type: 'boolean', default: false },
  'max-error-rate': { type: 'string', default: '0.01' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

class UsageError extends Error {}

function numberOption(values: Record<string, unknown>, name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got ${String(values[name])})`);
  }
  return value;
}

function settingsFrom(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) return null;
  if (!values.gateway) throw new UsageError('--gateway is required');
  for (const url of [values.gateway, values.booking].filter(Boolean)) {
    if (!/^https?:\/\/\S+$/.test(url!)) throw new UsageError(`not an http(s) URL: ${url}`);
  }
  let identity: IdentitySource;
  if (values['dev-login']) identity = identityFromDevLogin;
  else if (values['identity-key']) {
    if (!values.issuer || !values.audience) throw new UsageError('--identity-key needs --issuer and --audience');
    identity = identityFromKey({ keyFile: values['identity-key'], issuer: values.issuer, audience: values.audience });
  } else throw new UsageError('say who the fans are: --identity-key FILE --issuer ISS --audience AUD, or --dev-login');
  if (values.mode !== 'poll' && values.mode !== 'stream') throw new UsageError('--mode is poll or stream');
  const duration = numberOption(values, 'duration', 0.1, 86_400);
  const rate = numberOption(values, 'rate', 0.01, 100_000);
  return {
    gatewayUrl: values.gateway.replace(/\/+$/, ''),
    bookingUrl: (values.booking ?? values.gateway).replace(/\/+$/, ''),
    queueId: values.queue,
    identity,
    userPrefix: values['user-prefix'] ?? `load-${randomBytes(4).toString('hex')}`,
    rate,
    rampTo: values['ramp-to'] === undefined ? rate : numberOption(values, 'ramp-to', 0.01, 100_000),
    rampSeconds: values.ramp === undefined ? duration : numberOption(values, 'ramp', 0, 86_400),
    duration,
    maxFans: numberOption(values, 'max-fans', 1, 10_000_000),
    maxInFlight: numberOption(values, 'max-in-flight', 1, 1_000_000),
    drainSeconds: numberOption(values, 'drain', 0, 86_400),
    mode: values.mode as 'poll' | 'stream',
    thinkMs: numberOption(values, 'think', 0, 600_000),
    seatsPerHold: numberOption(values, 'seats', 1, 100),
    payRatio: numberOption(values, 'pay-ratio', 0, 1),
    pollScale: numberOption(values, 'poll-scale', 0.01, 100),
    maxWaitMs: numberOption(values, 'max-wait', 1, 86_400) * 1000,
    rejoinEvery: numberOption(values, 'rejoin-every', 0, 1_000_000),
    json: values.json,
    maxErrorRate: numberOption(values, 'max-error-rate', 0, 1),
  };
}

export type LoadSettings = NonNullable<ReturnType<typeof settingsFrom>>;

/** Arrivals per second at `t` seconds into the run: a linear ramp, then steady. */
const rateAt = (s: LoadSettings, t: number) =>
  s.rampSeconds <= 0 || t >= s.rampSeconds ? s.rampTo : s.rate + ((s.rampTo - s.rate) * t) / s.rampSeconds;

/** Samples the public figures while the run lasts: active must never pass maxActive. */
function watchQueue(s: LoadSettings, queueId: string, stats: Stats, signal: AbortSignal) {
  const gateway = createGatewayClient(s.gatewayUrl);
  return (async () => {
    while (!signal.aborted) {
      try {
        const { active, maxActive } = (await gateway.getQueue(queueId)).data;
        stats.maxActiveSeen = Math.max(stats.maxActiveSeen, active);
        stats.maxActiveSetting = maxActive;
        if (active > maxActive) stats.violations.push(`queue ${queueId}: ${active} active with maxActive ${maxActive}`);
      } catch {
        // an outage shows in the fans' errors
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
}

/** Runs the load and returns the figures. */
export async function runLoad(s: LoadSettings): Promise<{ stats: Stats; concert: Concert; sold: SoldSeat[] }> {
  const booking = createBookingClient(s.bookingUrl);
  const concerts = (await booking.listConcerts()).data;
  const concert = s.queueId ? concerts.find((c) => c.queueId === s.queueId) : concerts[0];
  if (!concert) throw new UsageError(s.queueId ? `no concert has queue ${s.queueId}` : 'the deployment has no concert');

  const stats = createStats();
  const sold: SoldSeat[] = [];
  const stop = new AbortController();
  const running = new Set<Promise<void>>();
  const watcher = watchQueue(s, concert.queueId, stats, stop.signal);
  const journey = { ...s, concert, signal: stop.signal };

  stats.startedAt = performance.now();
  let next = 0;
  for (let index = 0; index < s.maxFans; index++) {
    const t = next;
    if (t >= s.duration) break;
    const wait = stats.startedAt + t * 1000 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (running.size >= s.maxInFlight) stats.shed++;
    else {
      // runFan counts every way a journey can fail (outcome `error`), so errorRate sees them all.
      const fan: Promise<void> = runFan(index, `${s.userPrefix}-${index}`, journey, stats, sold).finally(() =>
        running.delete(fan),
      );
      running.add(fan);
    }
    // Poisson arrivals at the current rate.
    next = t - Math.log(1 - Math.random()) / rateAt(s, t);
  }
  stats.arrivalsEndedAt = performance.now();
  const drained = Promise.all(running);
  const deadline = new Promise((resolve) => setTimeout(resolve, s.drainSeconds * 1000).unref());
  await Promise.race([drained, deadline]);
  stop.abort(); // fans still waiting or thinking give up now
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  await watcher;
  stats.finishedAt = performance.now();

  const seen = new Map<string, string>();
  for (const seat of sold) {
    const key = `${seat.scheduleId}#${seat.seatNo}`;
    if (seen.has(key))
      stats.violations.push(`seat ${seat.seatNo} of ${seat.scheduleId} paid by ${seen.get(key)} and ${seat.userId}`);
    seen.set(key, seat.userId);
  }
  return { stats, concert, sold };
}

const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

/** The figures an operator reads after a run. */
export function reportOf(stats: Stats, s: LoadSettings) {
  const arrivalSeconds = (stats.arrivalsEndedAt - stats.startedAt) / 1000;
  const fansWithError = stats.outcomes.get('error');
  return {
    fans: stats.fans,
    shedArrivals: stats.shed,
    joins: stats.joins,
    joinsPerSecond: round(stats.joins / Math.max(arrivalSeconds, 0.001)),
    joinLatencyMs: { p50: round(quantile(stats.joinLatencyMs, 0.5)), p99: round(quantile(stats.joinLatencyMs, 0.99)) },
    admitted: stats.admissionMs.length,
    admittedAtOnce: stats.joinedAtOnce,
    timeToAdmissionSeconds: {
      p50: round(quantile(stats.admissionMs, 0.5) / 1000, 2),
      p90: round(quantile(stats.admissionMs, 0.9) / 1000, 2),
      p99: round(quantile(stats.admissionMs, 0.99) / 1000, 2),
      max: round(quantile(stats.admissionMs, 1) / 1000, 2),
    },
    pollsPerWaiter: {
      mean: round(mean(stats.pollsPerWaiter), 2),
      p90: round(quantile(stats.pollsPerWaiter, 0.9), 0),
      max: round(quantile(stats.pollsPerWaiter, 1), 0),
    },
    streams: stats.streams.toJSON(),
    holds: stats.holds.toJSON(),
    fansWithHolds: stats.heldFans,
    paid: stats.paidFans,
    paidPoints: stats.paidPoints,
    holdToPaid: round(stats.paidFans / Math.max(stats.heldFans, 1), 3),
    outcomes: stats.outcomes.toJSON(),
    requests: stats.requests,
    serverErrors: stats.serverErrors,
    errors: stats.errors.toJSON(),
    errorRate: round(fansWithError / Math.max(stats.fans, 1), 4),
    maxActiveSeen: stats.maxActiveSeen,
    maxActiveSetting: stats.maxActiveSetting,
    violations: stats.violations,
    seconds: round((stats.finishedAt - stats.startedAt) / 1000),
    passed: stats.violations.length === 0 && fansWithError / Math.max(stats.fans, 1) <= s.maxErrorRate,
  };
}

function printReport(report: ReturnType<typeof reportOf>) {
  const line = (label: string, value: unknown) =>
    console.log(`${label.padEnd(24)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  line('fans', `${report.fans} (${report.shedArrivals} arrivals shed)`);
  line(
    'joins',
    `${report.joins} (${report.joinsPerSecond}/s; latency p50 ${report.joinLatencyMs.p50} ms, p99 ${report.joinLatencyMs.p99} ms)`,
  );
  line('admitted', `${report.admitted} (${report.admittedAtOnce} at once)`);
  line('time to admission (s)', report.timeToAdmissionSeconds);
  line('polls per waiter', report.pollsPerWaiter);
  if (Object.keys(report.streams).length) line('event streams', report.streams);
  line('holds', report.holds);
  line('hold -> paid', `${report.paid} of ${report.fansWithHolds} (${report.holdToPaid}), ${report.paidPoints} points`);
  line('outcomes', report.outcomes);
  line('requests', `${report.requests} (${report.serverErrors} answered 5xx)`);
  line('errors', Object.keys(report.errors).length ? report.errors : 'none');
  line('active (max seen/max)', `${report.maxActiveSeen} / ${report.maxActiveSetting}`);
  line('invariants', report.violations.length ? `${report.violations.length} VIOLATED` : 'all held');
  for (const violation of report.violations.slice(0, 20)) console.log(`  ! ${violation}`);
  line('result', report.passed ? 'PASS' : 'FAIL');
}

async function main() {
  let settings;
  try {
    settings = settingsFrom(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\nnpm run load -- --help for the options`);
      process.exit(2);
    }
    throw error;
  }
  if (!settings) {
    console.log(HELP);
    return;
  }
  if (!settings.json) {
    console.error(
      `load: ${settings.rate}→${settings.rampTo} fans/s for ${settings.duration}s (at most ${settings.maxFans}), ` +
        `${settings.mode} mode, against ${settings.gatewayUrl} and ${settings.bookingUrl}`,
    );
  }
  const { stats } = await runLoad(settings);
  const report = reportOf(stats, settings);
  if (settings.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  process.exitCode = report.passed ? 0 : 1;
}

await main();
