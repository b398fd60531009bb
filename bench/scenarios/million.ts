import { loadConfig } from '@concert/config';
import { queueKeys } from '@concert/queue';
import { startStack } from '@concert/testing';
import { createQueueTokenSigner, readPem, signingKeyFrom } from '@concert/tokens';
import { BENCH_ADMIN_KEY, benchEnvironment } from '../environment.js';
import { load, loop } from '../measure.js';
import { bearer, log, type BenchSystem, type ScenarioReport } from '../system.js';
import { cpuMeter } from '../cpu.js';
import { createGatewayClient } from '@concert/contract';

const FANS = 1_000_000;
/** Fans whose tokens the load generator cycles through (one gateway's token cache holds them all). */
const POLLERS = 100_000;
const POLL_SECONDS = 20;
const ERROR_SAMPLE = 2000;

const usedMemory = async (system: BenchSystem) =>
  Number(/used_memory:(\d+)/.exec(await system.redis.info('memory'))![1]);
/** Redis' own account of its commands (`INFO commandstats`): calls and CPU µs per command. */
async function commandStats(system: BenchSystem) {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of (await system.redis.info('commandstats')).matchAll(
    /cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g,
  ))
    stats.set(name!, { calls: Number(calls), usec: Number(usec) });
  return stats;
}
/** What ran between two commandStats, the costliest first (µs of Redis CPU, calls). */
function commandsBetween(before: Map<string, { calls: number; usec: number }>, after: typeof before) {
  return [...after]
    .map(([name, { calls, usec }]) => ({
      name,
      calls: calls - (before.get(name)?.calls ?? 0),
      usec: usec - (before.get(name)?.usec ?? 0),
    }))
    .filter((command) => command.calls > 0)
    .sort((a, b) => b.usec - a.usec);
}
/** The gateway's own count of how it answered placements (`waiting_room_placements_total`). */
async function placementSources(gatewayUrl: string) {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const sources: Record<string, number> = {};
  for (const [, source, value] of text.matchAll(/^waiting_room_placements_total\{[^}]*source="(\w+)"[^}]*\} (\d+)/gm))
    sources[source!] = Number(value);
  return sources;
}
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
};

/**
 * `npm run bench -- --million` (not in CI): a million fans in one queue, created through the real
 * join script, then polls over HTTP as fast as this machine drives them — against a gateway that
 * answers from its line snapshot (the default) and, in the same run, one that asks Redis for every
 * poll (LINE_SNAPSHOT_MS=0) — while the line moves (the worker admits as turns end). Reports Redis
 * CPU and gateway CPU per poll, Redis memory per fan, the position error against ZRANK, and what
 * one Redis shard would carry.
 */
export async function millionScenarios(system: BenchSystem): Promise<ScenarioReport> {
  const notes: string[] = [];
  const queueId = 'bench-million';
  const fans = system.quick ? FANS / 10 : FANS;
  const pollers = Math.min(POLLERS, fans / 2);
  const { room, redis } = system;

  // --- a million in line, through the join script --------------------------------------------
  await system.admin(queueId, { paused: true, maxActive: 200, abandonAfterSeconds: 3600 });
  const before = await usedMemory(system);
  const tokenIds = new Float64Array(fans);
  const issuedAts = new Float64Array(fans);
  const joins = await loop({
    concurrency: 2000,
    amount: fans,
    operation: async (i) => {
      const joined = (await room.join(queueId, `m-${system.runId}-${i}`))!;
      tokenIds[i] = Number(joined.tokenId);
      issuedAts[i] = joined.issuedAt;
    },
  });
  const bytesPerFan = ((await usedMemory(system)) - before) / fans;
  notes.push(
    `A million in one line: ${fans} fans joined through the join script at ${joins.rps.toFixed(0)}/s (pipelined); ` +
      `Redis memory ${bytesPerFan.toFixed(0)} bytes per waiting fan (line bitmap included)`,
  );
  log(notes.at(-1)!);

  // Tokens of fans spread along the whole line, signed as the gateway signs them.
  const config = loadConfig(process.env);
  const { env } = benchEnvironment({
    databaseUrl: system.databaseUrl,
    redisUrl: config.REDIS_URL,
    prefix: system.prefix,
  });
  const signer = createQueueTokenSigner(
    signingKeyFrom(readPem({ text: env.TOKEN_PRIVATE_KEY })!, 'TOKEN_PRIVATE_KEY'),
    {
      ttlSeconds: 86_400,
    },
  );
  // The bench system's own gateway signs with its own key: start two gateways with this one's.
  const snapshots = await startStack({ env: { ...env }, instances: { gateway: 1, booking: 0, worker: 0 } });
  const direct = await startStack({
    env: { ...env, LINE_SNAPSHOT_MS: '0' },
    instances: { gateway: 1, booking: 0, worker: 0 },
  });
  try {
    const step = Math.floor(fans / pollers);
    const sample = Array.from({ length: pollers }, (_, k) => k * step + Math.floor(step / 2));
    const tokens = sample.map((i) =>
      signer.sign({
        userId: `m-${system.runId}-${i}`,
        queueId,
        tokenId: String(tokenIds[i]),
        issuedAt: issuedAts[i]!,
      }),
    );
    const pollOf = (i: number) => ({ path: `/queues/${queueId}/tokens/me`, headers: bearer(tokens[i % pollers]!) });
    const gatewayPid = (stack: typeof direct) => stack.apps[0]!.process.pid!;
    for (const url of [snapshots.gateways[0]!, direct.gateways[0]!]) {
      await load({ url, connections: system.connections, amount: pollers, next: pollOf }); // every token verified once
    }

    // The line moves: 200 active fans whose turns last 1 s (straight in Redis: the API's minimum is
    // 10 s), so each of the worker's ticks admits ~200.
    await createGatewayClient(system.gateway).admin(BENCH_ADMIN_KEY).putQueue(queueId, { paused: false });
    await redis.hset(queueKeys(system.prefix, queueId).settings, 'activeTtlSeconds', 1);
    await new Promise((resolve) => setTimeout(resolve, 7000)); // a measured rate, a moving line

    const measure = async (name: string, stack: typeof direct) =>
      system.measure(name, [gatewayPid(stack)], () =>
        load({ url: stack.gateways[0]!, connections: system.connections, durationSeconds: POLL_SECONDS, next: pollOf }),
      );
    // What Redis spends with nobody polling (the worker moving the line, the gateways' snapshot
    // reads), so the polls' own share can be told apart from it.
    const idleMeter = cpuMeter([]);
    await new Promise((resolve) => setTimeout(resolve, POLL_SECONDS * 1000));
    const idleRedisMicrosPerSecond = idleMeter(1).redis / POLL_SECONDS;
    const viaRedis = await measure(`poll of a million-fan line, every poll asks Redis`, direct);
    const [statsBefore, sourcesBefore] = [await commandStats(system), await placementSources(snapshots.gateways[0]!)];
    const viaSnapshot = await measure(`poll of a million-fan line, line snapshots`, snapshots);
    const commands = commandsBetween(statsBefore, await commandStats(system));
    const sourcesAfter = await placementSources(snapshots.gateways[0]!);
    const sources = Object.fromEntries(
      Object.entries(sourcesAfter).map(([source, value]) => [source, value - (sourcesBefore[source] ?? 0)]),
    );
    const answered = Object.values(sources).reduce((sum, value) => sum + value, 0);
    const share = (source: string) => `${(((sources[source] ?? 0) * 100) / Math.max(answered, 1)).toFixed(1)} %`;

    // Position error: a poll, then ZRANK at once, for fans spread along the line.
    const client = createGatewayClient(snapshots.gateways[0]!);
    const errors: number[] = [];
    let frontInexact = 0;
    let frontChecked = 0;
    await loop({
      concurrency: 20,
      amount: ERROR_SAMPLE,
      operation: async (k) => {
        const index = Math.floor((k * pollers) / ERROR_SAMPLE);
        const [placement, rank] = await Promise.all([
          client.pollToken(queueId, tokens[index]!),
          redis.zrank(queueKeys(system.prefix, queueId).waiting, `m-${system.runId}-${sample[index]}`),
        ]);
        const position = placement.data.position;
        if (rank === null || position === null) return; // admitted meanwhile
        const exact = rank + 1;
        const error = Math.abs(position - exact) / exact;
        errors.push(error);
        if (exact <= 1000) {
          frontChecked++;
          if (position !== exact) frontInexact++;
        }
      },
    });

    const perPoll = (result: typeof viaRedis) => result.cpuMicrosPerRequest!;
    const marginal = (result: typeof viaRedis) =>
      Math.max(perPoll(result).redis - (idleRedisMicrosPerSecond * result.seconds) / result.total, 0);
    const redisPerPoll = Math.max(marginal(viaSnapshot), 0.01);
    const shard = (cadenceSeconds: number) => (cadenceSeconds * 1e6) / redisPerPoll;
    const raw = {
      fans,
      joinsPerSecond: joins.rps,
      bytesPerFan,
      pollers,
      idleRedisMicrosPerSecond,
      viaRedis: { rps: viaRedis.rps, cpu: perPoll(viaRedis), marginalRedis: marginal(viaRedis) },
      viaSnapshot: { rps: viaSnapshot.rps, cpu: perPoll(viaSnapshot), marginalRedis: marginal(viaSnapshot) },
      redisCommandsWhileSnapshotPolls: commands.slice(0, 12),
      placementSources: sources,
      positionError: {
        sampled: errors.length,
        median: quantile(errors, 0.5),
        p99: quantile(errors, 0.99),
        max: Math.max(...errors),
        frontChecked,
        frontInexact,
      },
      projectedFansPerShard: { every5s: shard(5), every30s: shard(30) },
    };
    notes.push(
      `Polls of a million-fan line (${pollers} fans' tokens cycled, the line moving ~200 a second): every poll ` +
        `asking Redis ${viaRedis.rps.toFixed(0)}/s, Redis ${perPoll(viaRedis).redis} µs and gateway ` +
        `${perPoll(viaRedis).app} µs CPU per poll; from line snapshots ${viaSnapshot.rps.toFixed(0)}/s, Redis ` +
        `${perPoll(viaSnapshot).redis} µs and gateway ${perPoll(viaSnapshot).app} µs per poll (presence batching included)`,
      `Redis with nobody polling (the worker moving the line, snapshot reads): ${(idleRedisMicrosPerSecond / 1000).toFixed(1)} ms ` +
        `of CPU a second; over that, a poll costs Redis ${marginal(viaRedis).toFixed(1)} µs when it asks Redis and ` +
        `${marginal(viaSnapshot).toFixed(1)} µs from line snapshots`,
      `How the snapshot gateway answered: ${share('snapshot')} from its snapshot, ${share('exact_rank')} by an exact ` +
        `rank near the front, ${share('redis')} by a status read (admitted, expired, or no snapshot yet)`,
      `Redis commands while the snapshot gateway was polled (calls, µs of Redis CPU): ` +
        commands
          .slice(0, 8)
          .map(
            (command) =>
              `${command.name} ${command.calls} × ${(command.usec / Math.max(command.calls, 1)).toFixed(1)} µs`,
          )
          .join(', '),
      `Position error against ZRANK (${errors.length} fans along the line, polled then ranked at once): median ` +
        `${(raw.positionError.median * 100).toFixed(3)} %, p99 ${(raw.positionError.p99 * 100).toFixed(3)} %, max ` +
        `${(raw.positionError.max * 100).toFixed(3)} %; near the front ${frontInexact} of ${frontChecked} off`,
      `One Redis shard (one core), at ${redisPerPoll.toFixed(1)} µs of Redis CPU per poll (over the idle line): ` +
        `${(shard(5) / 1e6).toFixed(1)} million fans polling every 5 s, ${(shard(30) / 1e6).toFixed(1)} million every 30 s`,
    );
    for (const note of notes.slice(-6)) log(note);
    return {
      rows: [
        {
          scenario: 'poll of a million-fan line: line snapshots',
          figures: viaSnapshot,
          baseline: viaRedis,
          baselineName: 'every poll asks Redis',
          target: 'Redis ≤ 2 µs per poll',
        },
      ],
      notes,
      raw: { million: raw },
    };
  } finally {
    await Promise.all([snapshots.stop(), direct.stop()]);
  }
}
