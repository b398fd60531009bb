import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@concert/config';
import { connectDatabase, dropDatabase, ensureDatabase, migrate, seedDemoData } from '@concert/db';
import { Redis } from 'ioredis';
import { createWaitingRoom } from '@concert/queue';
import { createBookingClient, createGatewayClient, type QueueSettingsChange } from '@concert/contract';
import { deleteKeysUnder, freePort, startStack } from '@concert/testing';
import { BENCH_ADMIN_KEY, benchEnvironment } from './environment.js';
import { load, loop, type Figures } from './measure.js';
import { cpuMeter } from './cpu.js';

export const log = (line: string) => console.log(`\x1b[2m${new Date().toISOString().slice(11, 19)}\x1b[0m ${line}`);
export const json = (value: unknown) => ({
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json' },
});
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

type CpuPerRequest = ReturnType<ReturnType<typeof cpuMeter>>;
export type Result = Figures & { note?: string; cpuMicrosPerRequest?: CpuPerRequest };

/** A line of the final table: a scenario's figures against a baseline of the same run. */
export type ReportRow = { scenario: string; figures: Result; baseline: Result; baselineName: string; target: string };
/** What a scenario group hands back: rows of the table, lines of notes, raw figures for the JSON file. */
export type ScenarioReport = { rows: ReportRow[]; notes: string[]; raw?: Record<string, unknown> };

/**
 * A fresh system to measure: a new `concert_bench` database (migrated, seeded), a new Redis
 * prefix, gateway, booking and worker as real processes (one instance each), a bare Fastify
 * route as the baseline, and the helpers every scenario group uses.
 */
export async function startBenchSystem(opts: { quick: boolean }) {
  const base = loadConfig(process.env);
  const runId = randomBytes(3).toString('hex');
  const databaseUrl = (() => {
    const url = new URL(base.DATABASE_URL);
    url.pathname = '/concert_bench';
    return url.toString();
  })();
  const prefix = `bench:${runId}`;
  const seconds = opts.quick ? 3 : 10;
  const connections = 50;

  log(`bench database ${databaseUrl}, Redis prefix ${prefix}${opts.quick ? ' (quick)' : ''}`);
  await dropDatabase(databaseUrl);
  await ensureDatabase(databaseUrl);
  await migrate({ databaseUrl });
  const database = connectDatabase(databaseUrl, { poolSize: 20 });
  const { db, sql } = database;
  const { concert } = await seedDemoData(db);
  const schedules = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });

  const { env, identityToken } = benchEnvironment({ databaseUrl, redisUrl: base.REDIS_URL, prefix });
  const stack = await startStack({ env });
  const gateway = stack.gateways[0]!;
  const booking = stack.bookings[0]!;
  const baselinePort = await freePort();
  const baselineServer = spawn(process.execPath, ['--import=tsx', 'bench/baseline-server.ts'], {
    env: { ...process.env, PORT: String(baselinePort) },
    stdio: 'inherit',
  });
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${baselineUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const redis = new Redis(base.REDIS_URL); // the bench runs on a standalone Redis
  const room = createWaitingRoom({ redis, prefix });
  const gatewayClient = createGatewayClient(gateway);
  const bookingClient = createBookingClient(booking);

  const results: Record<string, Result> = {};
  const pidsOf = (name: 'gateway' | 'booking' | 'worker') =>
    stack.apps.filter((a) => a.name === name).map((a) => a.process.pid!);

  const system = {
    quick: opts.quick,
    runId,
    seconds,
    connections,
    databaseUrl,
    prefix,
    db,
    sql,
    redis,
    room,
    concert,
    schedules,
    gateway,
    booking,
    baselineUrl,
    baselinePid: baselineServer.pid!,
    gatewayClient,
    bookingClient,
    results,
    pidsOf,
    admin: (queueId: string, settings: QueueSettingsChange) =>
      gatewayClient.admin(BENCH_ADMIN_KEY).putQueue(queueId, settings),
    identityToken,
    /** Drives `url` with autocannon for the run's duration (or `amount` requests). */
    http: (url: string, next: Parameters<typeof load>[0]['next'], extra: Partial<Parameters<typeof load>[0]> = {}) =>
      load({ url, connections, durationSeconds: seconds, next, ...extra }),
    /** Runs a scenario with the CPU meter on the processes given, and records its figures. */
    async measure(name: string, pids: number[], run: () => Promise<Figures>, note?: (f: Figures) => Promise<string>) {
      const meter = cpuMeter(pids);
      const figures = await run();
      const cpu = meter(figures.total);
      results[name] = { ...figures, cpuMicrosPerRequest: cpu, ...(note ? { note: await note(figures) } : {}) };
      log(
        `${name.padEnd(34)} ${figures.rps.toFixed(0).padStart(7)} /s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  ` +
          `errors ${figures.errors}  non-2xx ${figures.non2xx}  CPU µs/req ${JSON.stringify(cpu)}`,
      );
      return results[name]!;
    },
    /** Identity tokens of unique users, signed before a measurement (a join verifies one each). */
    async identities(tag: string, count: number) {
      const tokens: string[] = new Array(count);
      await loop({
        concurrency: 50,
        amount: count,
        operation: async (i) => void (tokens[i] = await identityToken(`${tag}-${runId}-${i}`)),
      });
      return tokens;
    },
    /** Joins many users over HTTP (set-up, not measured); returns their queue tokens. */
    async joinMany(queueId: string, count: number, tag: string) {
      const tokens: string[] = new Array(count);
      await loop({
        concurrency: 50,
        amount: count,
        operation: async (i) => {
          tokens[i] = (await gatewayClient.joinQueue(queueId, await identityToken(`${tag}-${runId}-${i}`))).data.token;
        },
      });
      return tokens;
    },
    async stop() {
      await stack.stop();
      baselineServer.kill('SIGTERM');
      await deleteKeysUnder(redis, prefix);
      redis.disconnect();
      await database.close();
    },
  };
  return system;
}

export type BenchSystem = Awaited<ReturnType<typeof startBenchSystem>>;
