/**
 * `npm run bench [-- --quick]`: starts gateway, booking and worker as real processes against a
 * fresh bench database and Redis prefix, drives each scenario with autocannon, measures the
 * baselines in the same run, prints one table of ratios and writes the raw figures to
 * bench/results/<timestamp>.json. See BENCHMARKS.md for what the figures mean.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '@concert/config';
import { connectDatabase, dropDatabase, ensureDatabase, migrate, seedDemoData } from '@concert/db';
import { Redis } from 'ioredis';
import { createWaitingRoom, type TokenRef } from '@concert/queue';
import { chargePoints, holdSeat } from '@concert/booking-domain';
import { createGatewayClient, type QueueSettingsChange } from '@concert/contract';
import { deleteKeysUnder, freePort, startStack } from '@concert/testing';
import { BENCH_ADMIN_KEY, benchEnvironment } from './environment.js';
import { load, loop, type Figures } from './measure.js';
import { cpuMeter } from './cpu.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 3 : 10;
const CONNECTIONS = 50;
const POLL_TOKENS = quick ? 2000 : 10_000;
const RACE_USERS = 1000;
const PAYMENTS = quick ? 500 : 2000;
const MEMORY_USERS = 100_000;

const log = (line: string) => console.log(`\x1b[2m${new Date().toISOString().slice(11, 19)}\x1b[0m ${line}`);
const base = loadConfig(process.env);
const runId = randomBytes(3).toString('hex');
const databaseUrl = (() => {
  const url = new URL(base.DATABASE_URL);
  url.pathname = '/concert_bench';
  return url.toString();
})();
const prefix = `bench:${runId}`;

// --- a fresh system -------------------------------------------------------------------------
log(`bench database ${databaseUrl}, Redis prefix ${prefix}${quick ? ' (quick)' : ''}`);
await dropDatabase(databaseUrl);
await ensureDatabase(databaseUrl);
await migrate({ databaseUrl });
const { db, sql, close: closeDatabase } = connectDatabase(databaseUrl, { poolSize: 20 });
const { concert } = await seedDemoData(db);
const schedules = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
// A large hall for the payment scenario: one hold per payer.
const hall = await db.schedule.create({
  data: { concertId: concert.id, startsAt: new Date(Date.now() + 90 * 86_400_000) },
});
await db.$executeRaw`INSERT INTO seat (id, schedule_id, seat_no, price)
  SELECT gen_random_uuid(), ${hall.id}::uuid, n, 1000 FROM generate_series(1, ${PAYMENTS}::int) AS n`;

const { env, identityToken } = benchEnvironment({ databaseUrl, redisUrl: base.REDIS_URL, prefix });
const stack = await startStack({ env });
const [gateway] = stack.gateways;
const [booking] = stack.bookings;
const baselinePort = await freePort();
const baseline = spawn(process.execPath, ['--import=tsx', 'bench/baseline-server.ts'], {
  env: { ...process.env, PORT: String(baselinePort) },
  stdio: 'inherit',
});
const baselineUrl = `http://127.0.0.1:${baselinePort}`;
for (let i = 0; i < 100; i++) {
  if (
    await fetch(`${baselineUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const redis = new Redis(base.REDIS_URL); // the bench runs on a standalone Redis
const room = createWaitingRoom({ redis, prefix });
const gatewayClient = createGatewayClient(gateway!);
const admin = (queueId: string, settings: QueueSettingsChange) =>
  gatewayClient.admin(BENCH_ADMIN_KEY).putQueue(queueId, settings);
const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Joins many users over HTTP (set-up, not measured); returns their tokens. */
async function joinMany(queueId: string, count: number, tag: string) {
  const tokens: string[] = new Array(count);
  await loop({
    concurrency: 50,
    amount: count,
    operation: async (i) => {
      tokens[i] = (await gatewayClient.joinQueue(queueId, await identityToken(`${tag}-${i}`))).data.token;
    },
  });
  return tokens;
}

type CpuPerRequest = ReturnType<ReturnType<typeof cpuMeter>>;
const results: Record<string, Figures & { note?: string; cpuMicrosPerRequest?: CpuPerRequest }> = {};
const pidOf = (name: string) => stack.apps.filter((a) => a.name === name).map((a) => a.process.pid!);
/** Runs a scenario with the CPU meter on the app processes given, and records its figures. */
async function measure(
  name: string,
  pids: number[],
  run: () => Promise<Figures>,
  note?: (figures: Figures) => Promise<string>,
) {
  const meter = cpuMeter(pids);
  const figures = await run();
  const cpu = meter(figures.total);
  results[name] = { ...figures, cpuMicrosPerRequest: cpu, ...(note ? { note: await note(figures) } : {}) };
  log(
    `${name.padEnd(34)} ${figures.rps.toFixed(0).padStart(7)} /s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  errors ${figures.errors}  non-2xx ${figures.non2xx}  CPU µs/req ${JSON.stringify(cpu)}`,
  );
  return figures;
}

// --- HTTP throughput: baseline, join, poll, seat listing -------------------------------------
await admin('bench-join', { paused: true }); // everyone waits: join and poll measure the line itself
await admin(concert.queueId, { maxActive: 1_000_000, activeTtlSeconds: 3600 }); // everyone active at once

const gatewayPid = pidOf('gateway');
const bookingPid = pidOf('booking');
const http = (url: string, next: Parameters<typeof load>[0]['next'], extra: Partial<Parameters<typeof load>[0]> = {}) =>
  load({ url, connections: CONNECTIONS, durationSeconds: SECONDS, next, ...extra });

await http(baselineUrl, () => ({ path: '/ping' }), { durationSeconds: 1 }); // warm-up
await measure('baseline: bare Fastify route', [baseline.pid!], () => http(baselineUrl, () => ({ path: '/ping' })));

/** Identity tokens of unique users, signed before the measurement (a join verifies one each). */
async function identities(tag: string, count: number) {
  const tokens: string[] = new Array(count);
  await loop({
    concurrency: 50,
    amount: count,
    operation: async (i) => void (tokens[i] = await identityToken(`${tag}-${runId}-${i}`)),
  });
  return tokens;
}
const joinRequest = (tokens: string[]) => (i: number) => ({
  method: 'POST',
  path: '/queues/bench-join/tokens',
  ...json({}),
  headers: { ...json({}).headers, ...bearer(tokens[i % tokens.length]!) },
});
await http(gateway!, joinRequest(await identities('warm', 5000)), { durationSeconds: 1 });
const joiners = await identities('join', SECONDS * 9000);
await measure('join (unique users)', gatewayPid, () => http(gateway!, joinRequest(joiners)));

const pollTokens = await joinMany('bench-join', POLL_TOKENS, `poll-${runId}`);
// Every token has polled once already, as in a real line (each fan polls every few seconds).
await http(gateway!, (i) => ({ path: '/queues/bench-join/tokens/me', headers: bearer(pollTokens[i]!) }), {
  amount: POLL_TOKENS,
});
await measure(`poll (${POLL_TOKENS} live tokens)`, gatewayPid, () =>
  http(gateway!, (i) => ({ path: '/queues/bench-join/tokens/me', headers: bearer(pollTokens[i % POLL_TOKENS]!) })),
);

const browsers = await joinMany(concert.queueId, 100, `browse-${runId}`);
const seatsPath = `/concerts/${concert.id}/schedules/${schedules[0]!.id}/seats`;
await http(booking!, (i) => ({ path: seatsPath, headers: bearer(browsers[i % browsers.length]!) }), {
  durationSeconds: 1,
});
await measure('seat listing (50 seats)', bookingPid, () =>
  http(booking!, (i) => ({ path: seatsPath, headers: bearer(browsers[i % browsers.length]!) })),
);

// --- the hold race: 1,000 users, the 50 seats of one date ------------------------------------
/** Holds taken on a date: after a race, its winners (never more than its 50 seats). */
const winnersOn = (scheduleId: string) => db.reservation.count({ where: { scheduleId } });
const settledOn = (scheduleId: string) => async (figures: Figures) =>
  `${await winnersOn(scheduleId)} winners, settled in ${figures.seconds.toFixed(3)} s`;
const racers = await joinMany(concert.queueId, RACE_USERS, `race-${runId}`);
const raceSchedule = schedules[1]!;
const race = await measure(
  `hold race (${RACE_USERS} users, 50 seats)`,
  bookingPid,
  () =>
    http(
      booking!,
      (i) => ({
        method: 'POST',
        path: `/concerts/${concert.id}/schedules/${raceSchedule.id}/reservations`,
        headers: { ...bearer(racers[i]!), 'content-type': 'application/json' },
        body: JSON.stringify({ seatNo: (i % 50) + 1 }),
      }),
      { connections: 100, amount: RACE_USERS },
    ),
  settledOn(raceSchedule.id),
);
const raceWinners = await winnersOn(raceSchedule.id);

// Baseline: the same transaction (advisory lock + conditional UPDATE + INSERT) through pg directly.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
const pgSchedule = schedules[2]!;
const pgRace = await measure(
  `baseline: hold SQL via pg (${RACE_USERS})`,
  [],
  () =>
    loop({
      concurrency: 100,
      amount: RACE_USERS,
      operation: async (i) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('SELECT pg_advisory_xact_lock(1, hashtext($1))', [`pg-${i}`]);
          await client.query(
            `WITH live_holds AS (SELECT count(*) AS n FROM reservation WHERE user_id = $1 AND status = 'HELD' AND expires_at > now()),
             taken AS (
               UPDATE seat s SET status = 'HELD', reservation_id = gen_random_uuid(), hold_expires_at = now() + interval '300 seconds'
                 FROM schedule sc
                WHERE s.schedule_id = $2 AND s.seat_no = $3 AND sc.id = s.schedule_id AND sc.concert_id = $4 AND sc.starts_at > now()
                  AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.hold_expires_at <= now()))
                  AND (SELECT n FROM live_holds) < 4
               RETURNING s.id, s.price, s.hold_expires_at, s.reservation_id)
             INSERT INTO reservation (id, user_id, concert_id, schedule_id, seat_id, seat_no, price, status, expires_at)
             SELECT taken.reservation_id, $1, $4, $2, taken.id, $3, taken.price, 'HELD', taken.hold_expires_at FROM taken`,
            [`pg-${i}`, pgSchedule.id, (i % 50) + 1, concert.id],
          );
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      },
    }),
  settledOn(pgSchedule.id),
);
await pool.end();

// --- payments: each payer has a live hold and enough points ----------------------------------
const payers = await joinMany(concert.queueId, PAYMENTS, `pay-${runId}`);
const reservations: string[] = new Array(PAYMENTS);
await loop({
  concurrency: 20,
  amount: PAYMENTS,
  operation: async (i) => {
    const userId = `pay-${runId}-${i}`;
    await chargePoints({ sql, userId, amount: 10_000, maxBalance: 100_000_000 });
    const held = await holdSeat({
      sql,
      userId,
      concertId: concert.id,
      scheduleId: hall.id,
      seatNo: i + 1,
      holdSeconds: 3600,
      maxHolds: 4,
    });
    reservations[i] = held.reservationId;
  },
});
await measure(
  `payment (${PAYMENTS} payers)`,
  bookingPid,
  () =>
    http(
      booking!,
      (i) => ({
        method: 'POST',
        path: '/payments',
        headers: { ...bearer(payers[i]!), 'content-type': 'application/json' },
        body: JSON.stringify({ reservationId: reservations[i] }),
      }),
      { amount: PAYMENTS },
    ),
  async () => `${await db.payment.count()} payments recorded`,
);

// --- Redis baselines: the scripts behind join and poll, called directly ----------------------
await admin('bench-raw', { paused: true });
const rawRefs: TokenRef[] = [];
await measure('baseline: join script direct', [], () =>
  loop({
    concurrency: CONNECTIONS,
    seconds: SECONDS,
    operation: async (i) => {
      const joined = await room.join('bench-raw', `raw-${i}`);
      rawRefs[i] = { userId: `raw-${i}`, tokenId: joined!.tokenId, issuedAt: joined!.issuedAt };
    },
  }),
);
await measure('baseline: status script direct', [], () =>
  loop({
    concurrency: CONNECTIONS,
    seconds: SECONDS,
    operation: (i) => room.status('bench-raw', rawRefs[i % rawRefs.length]!),
  }),
);

// --- Redis memory per waiting user -----------------------------------------------------------
await admin('bench-memory', { paused: true });
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
const before = await usedMemory();
await loop({
  concurrency: 500,
  amount: MEMORY_USERS,
  operation: (i) => room.join('bench-memory', `user-${String(i).padStart(7, '0')}`),
});
const after = await usedMemory();
const bytesPerWaitingUser = (after - before) / MEMORY_USERS;
log(
  `Redis memory: ${MEMORY_USERS} waiting users took ${((after - before) / 1024 / 1024).toFixed(1)} MiB = ${bytesPerWaitingUser.toFixed(0)} bytes each`,
);

// --- report -----------------------------------------------------------------------------------
const r = (name: string) => results[Object.keys(results).find((key) => key.startsWith(name))!]!;
const bare = r('baseline: bare Fastify route');
const rows = [
  ['join', r('join'), bare, 'bare route', '≥ 0.50'],
  ['join', r('join'), r('baseline: join script direct'), 'join script direct', ''],
  ['poll', r('poll'), bare, 'bare route', '≥ 0.70'],
  ['poll', r('poll'), r('baseline: status script direct'), 'status script direct', ''],
  ['seat listing', r('seat listing'), bare, 'bare route', ''],
  ['hold race', r('hold race'), r('baseline: hold SQL via pg'), 'hold SQL via pg', 'settle < 0.5 s, 50 winners'],
  ['payment', r('payment'), bare, 'bare route', '≥ 1,000 /s'],
] as const;
console.log(
  '\n| scenario | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx | baseline | baseline req/s | ratio | target |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|');
for (const [name, figures, against, label, target] of rows) {
  console.log(
    `| ${name} | ${figures.rps.toFixed(0)} | ${figures.p50} | ${figures.p90} | ${figures.p99} | ${figures.errors} | ${figures.non2xx} | ${label} | ${against.rps.toFixed(0)} | ${(figures.rps / against.rps).toFixed(2)} | ${target} |`,
  );
}
console.log('\nCPU per request (µs) by process: where the time goes');
console.log('| scenario | app | redis | postgres | load generator |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, figures] of Object.entries(results)) {
  const cpu = figures.cpuMicrosPerRequest!;
  console.log(`| ${name} | ${cpu.app} | ${cpu.redis} | ${cpu.postgres} | ${cpu.loadGenerator} |`);
}
console.log(
  `\nhold race: ${raceWinners} winners of ${RACE_USERS}, settled in ${race.seconds.toFixed(3)} s over HTTP vs ${pgRace.seconds.toFixed(3)} s through pg directly (${(race.seconds / pgRace.seconds).toFixed(2)}×)`,
);
console.log(
  `Redis memory per waiting user: ${bytesPerWaitingUser.toFixed(0)} bytes (${MEMORY_USERS} users; target ≤ 200)`,
);

mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify(
    {
      quick,
      seconds: SECONDS,
      connections: CONNECTIONS,
      results,
      race: {
        winners: raceWinners,
        seconds: race.seconds,
        pgWinners: await winnersOn(pgSchedule.id),
        pgSeconds: pgRace.seconds,
      },
      memory: { users: MEMORY_USERS, bytesPerWaitingUser },
    },
    null,
    2,
  ),
);
log(`raw figures written to ${file}`);

// --- clean up ----------------------------------------------------------------------------------
await stack.stop();
baseline.kill('SIGTERM');
await deleteKeysUnder(redis, prefix);
redis.disconnect();
await closeDatabase();
