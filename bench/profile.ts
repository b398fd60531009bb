/**
 * `npm run bench:profile -- <join|poll|seats|hold|pay>`: one scenario against apps started with
 * `--cpu-prof`, then the hottest functions (self time) and packages of the app under load.
 * Reuses the database `npm run bench` left behind (concert_bench).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@concert/config';
import { createPrismaClient, seedDemoData } from '@concert/db';
import { createGatewayClient } from '@concert/contract';
import { startStack } from '@concert/testing';
import { BENCH_ADMIN_KEY, benchEnvironment } from './environment.js';
import { load, loop } from './measure.js';

const scenario = process.argv[2] ?? 'seats';
const dir = '/tmp/concert-profile';
rmSync(dir, { recursive: true, force: true });
const base = loadConfig(process.env);
const url = new URL(base.DATABASE_URL);
url.pathname = '/concert_bench';
const { env, identityToken } = benchEnvironment({
  databaseUrl: url.toString(),
  redisUrl: base.REDIS_URL,
  prefix: `profile:${Date.now()}`,
});
const db = createPrismaClient(url.toString(), { poolSize: 4 });
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
const chosen = scenarios[scenario as keyof typeof scenarios];
const figures = await load({ url: chosen.url, connections: 50, durationSeconds: 8, next: chosen.next });
console.log(`${scenario}: ${figures.rps.toFixed(0)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms`);
await stack.stop();
await db.$disconnect();

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
  const where = node.callFrame.url.replace(/^file:\/\/\/work\/main\//, '');
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
