/**
 * `npm run bench:profile -- <join|poll|seats|hold|pay>`: one scenario against apps started with
 * `--cpu-prof`, then the hottest functions (self time) and packages of the app under load.
 * Reuses the database `npm run bench` left behind (concert_bench).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@concert/config';
import { connectDatabase, seedDemoData } from '@concert/db';
import { chargePoints, holdSeat } from '@concert/booking-domain';
import { createGatewayClient } from '@concert/contract';
import { Redis } from 'ioredis';
import { deleteKeysUnder, startStack } from '@concert/testing';
import { BENCH_ADMIN_KEY, benchEnvironment } from './environment.js';
import { load, loop } from './measure.js';

const scenario = process.argv[2] ?? 'seats';
const dir = '/tmp/concert-profile';
rmSync(dir, { recursive: true, force: true });
const base = loadConfig(process.env);
const prefix = `profile:${Date.now()}`;
const url = new URL(base.DATABASE_URL);
url.pathname = '/concert_bench';
const { env, identityToken } = benchEnvironment({
  databaseUrl: url.toString(),
  redisUrl: base.REDIS_URL,
  prefix,
});
const database = connectDatabase(url.toString(), { poolSize: 20 });
const { db, sql } = database;
const { concert } = await seedDemoData(db);
const [schedule] = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
const stack = await startStack({ env, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
const [gateway] = stack.gateways;
const [booking] = stack.bookings;
const client = createGatewayClient(gateway!);
await client.admin(BENCH_ADMIN_KEY).putQueue(concert.queueId, { maxActive: 1_000_000 });
const tokens: string[] = [];
await loop({
  concurrency: 20,
  amount: 200,
  operation: async (i) => {
    tokens[i] = (await client.joinQueue(concert.queueId, await identityToken(`p-${i}`))).data.token;
  },
});
/** Fans who joined (unique users), their queue tokens; set-up, not profiled. */
async function joinMany(tag: string, count: number) {
  const joined: string[] = new Array(count);
  await loop({
    concurrency: 50,
    amount: count,
    operation: async (i) => {
      joined[i] = (await client.joinQueue(concert.queueId, await identityToken(`${tag}-${i}`))).data.token;
    },
  });
  return joined;
}
/** A new date of `seats` seats, far ahead (each profile run books its own). */
async function newDate(seats: number) {
  const date = await db.schedule.create({
    data: { concertId: concert.id, startsAt: new Date(Date.now() + (100 + Math.random() * 100) * 86_400_000) },
  });
  await db.$executeRaw`INSERT INTO seat (id, schedule_id, seat_no, price)
    SELECT gen_random_uuid(), ${date.id}::uuid, n, 1000 FROM generate_series(1, ${seats}::int) AS n`;
  return date;
}
const run = Date.now().toString(36);
const joiners = await Promise.all(Array.from({ length: 20_000 }, (_, i) => identityToken(`j-${Date.now()}-${i}`)));
const auth = (i: number) => ({
  authorization: `Bearer ${tokens[i % tokens.length]}`,
  'content-type': 'application/json',
});
const scenarios = {
  join: {
    url: gateway!,
    next: (i: number) => ({
      method: 'POST',
      path: `/queues/${concert.queueId}/tokens`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${joiners[i % joiners.length]}` },
      body: '{}',
    }),
  },
  poll: { url: gateway!, next: (i: number) => ({ path: `/queues/${concert.queueId}/tokens/me`, headers: auth(i) }) },
  seats: {
    url: booking!,
    next: (i: number) => ({ path: `/concerts/${concert.id}/schedules/${schedule!.id}/seats`, headers: auth(i) }),
  },
  points: { url: booking!, next: (i: number) => ({ path: '/points', headers: auth(i) }) },
};
type Scenario = { url: string; next: (i: number) => object; amount?: number };
const post = (path: string, token: string, body: unknown) => ({
  method: 'POST',
  path,
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
// The hold race as the bench runs it, longer: each request a fan booking never saw, one 50-seat date.
async function holdScenario(): Promise<Scenario> {
  const racers = await joinMany(`hold-${run}`, Number(process.env.PROFILE_FANS ?? 6000));
  const date = await newDate(50);
  const path = `/concerts/${concert.id}/schedules/${date.id}/reservations`;
  return {
    url: booking!,
    amount: racers.length,
    next: (i) => post(path, racers[i]!, { seatNo: (i % 50) + 1 }),
  };
}
// Payments as the bench runs them: every payer holds one seat and has the points.
async function payScenario(): Promise<Scenario> {
  const payers = await joinMany(`pay-${run}`, 3000);
  const date = await newDate(payers.length);
  const reservations: string[] = new Array(payers.length);
  await loop({
    concurrency: 20,
    amount: payers.length,
    operation: async (i) => {
      const userId = `pay-${run}-${i}`;
      await chargePoints({ sql, userId, amount: 10_000, maxBalance: 100_000_000 });
      const held = await holdSeat({
        sql,
        userId,
        concertId: concert.id,
        scheduleId: date.id,
        seatNo: i + 1,
        holdSeconds: 3600,
        maxHolds: 4,
      });
      reservations[i] = held.reservationId;
    },
  });
  return {
    url: booking!,
    amount: payers.length,
    next: (i) => post('/payments', payers[i]!, { reservationId: reservations[i] }),
  };
}
const chosen: Scenario =
  scenario === 'hold'
    ? await holdScenario()
    : scenario === 'pay'
      ? await payScenario()
      : scenarios[scenario as keyof typeof scenarios];
const figures = await load({
  url: chosen.url,
  connections: 50,
  ...(chosen.amount ? { amount: chosen.amount } : { durationSeconds: 8 }),
  next: chosen.next as Parameters<typeof load>[0]['next'],
});
console.log(
  `${scenario}: ${figures.rps.toFixed(0)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ` +
    `answers by status ${JSON.stringify(figures.statusCodes)}`,
);
if (process.env.PROFILE_LOGS) for (const a of stack.apps) console.log(`--- ${a.name}\n${a.output.join('').slice(-3000)}`);
await stack.stop();
// The shared Redis keeps nothing of this run.
const redis = new Redis(base.REDIS_URL);
await deleteKeysUnder(redis, prefix);
redis.disconnect();
await database.close();

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number };
const app =
  chosen.url === gateway
    ? stack.apps.find((a) => a.name === 'gateway')!
    : stack.apps.find((a) => a.name === 'booking')!;
const file = readdirSync(dir)
  .map((f) => join(dir, f))
  .find((f) => readFileSync(f, 'utf8').includes(`apps/${app.name}/src/main.ts`));
const profile = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[] };
const total = profile.nodes.reduce((sum, n) => sum + n.hitCount, 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const where = node.callFrame.url.replace(/^file:\/\/\/work\/[^/]+(\/[^/]+)?\/(?=apps|libs|node_modules)/, '');
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.hitCount);
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
    (where.startsWith('node:')
      ? 'node core'
      : where
        ? where.split('/').slice(0, 2).join('/')
        : node.callFrame.functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.hitCount);
}
const top = (map: Map<string, number>, n: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
console.log(`\n${app.name}: self time by package\n${top(byPackage, 15)}\n\nby function\n${top(byFunction, 25)}`);
