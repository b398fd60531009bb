import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadConfig } from '@concert/config';
import { createGatewayClient } from '@concert/contract';
import { drawOrder, queueKeys } from '@concert/queue';
import { startStack } from '@concert/testing';
import { BENCH_ADMIN_KEY, benchEnvironment } from '../environment.js';
import { cpuMeter } from '../cpu.js';
import { load, loop } from '../measure.js';
import { bearer, log, type BenchSystem, type ScenarioReport } from '../system.js';

const LOBBY_FANS = 100_000;
const STREAMS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
};
/** Resident memory of a process, in bytes. */
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/**
 * The waiting room v2: polls with presence batching against polls without it (two gateways of
 * their own, same keys), the ETA against the real waits of fans driven through a line, 10,000
 * event streams on one gateway (memory, one admission wave pushed to all), and the opening of a
 * 100,000-fan lobby (time and Redis CPU).
 */
export async function waitingRoomScenarios(system: BenchSystem): Promise<ScenarioReport> {
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};

  // --- poll with presence batching vs the plain poll -----------------------------------------
  const base = loadConfig(process.env);
  const { env, identityToken } = benchEnvironment({
    databaseUrl: system.databaseUrl,
    redisUrl: base.REDIS_URL,
    prefix: system.prefix,
  });
  const withPresence = await startStack({ env, instances: { gateway: 1, booking: 0, worker: 0 } });
  const plain = await startStack({
    env: { ...env, PRESENCE_FLUSH_MS: '0' },
    instances: { gateway: 1, booking: 0, worker: 0 },
  });
  const [presenceUrl, plainUrl] = [withPresence.gateways[0]!, plain.gateways[0]!];
  const pidOf = (stack: typeof plain) => stack.apps[0]!.process.pid!;
  const pollers = system.quick ? 2000 : 10_000;
  let pollRows: ScenarioReport['rows'] = [];
  try {
    await createGatewayClient(presenceUrl).admin(BENCH_ADMIN_KEY).putQueue('bench-presence', { paused: true });
    const client = createGatewayClient(presenceUrl);
    const tokens: string[] = new Array(pollers);
    await loop({
      concurrency: 50,
      amount: pollers,
      operation: async (i) => {
        tokens[i] = (
          await client.joinQueue('bench-presence', await identityToken(`presence-${system.runId}-${i}`))
        ).data.token;
      },
    });
    const pollOf = (i: number) => ({ path: '/queues/bench-presence/tokens/me', headers: bearer(tokens[i % pollers]!) });
    for (const url of [plainUrl, presenceUrl])
      await load({ url, connections: system.connections, amount: pollers, next: pollOf });
    // Alternating, so that neither gets the quieter moment of the machine.
    type Run = Awaited<ReturnType<typeof system.measure>>;
    const runs: { plain: Run[]; presence: Run[] } = { plain: [], presence: [] };
    const seconds = Math.max(system.seconds, 5);
    for (let round = 0; round < 3; round++) {
      runs.plain.push(
        await system.measure(`poll, presence off (round ${round + 1})`, [pidOf(plain)], () =>
          load({ url: plainUrl, connections: system.connections, durationSeconds: seconds, next: pollOf }),
        ),
      );
      runs.presence.push(
        await system.measure(`poll, presence batched (round ${round + 1})`, [pidOf(withPresence)], () =>
          load({ url: presenceUrl, connections: system.connections, durationSeconds: seconds, next: pollOf }),
        ),
      );
    }
    const best = (list: Run[]) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
    pollRows = [
      {
        scenario: 'poll with presence batching',
        figures: best(runs.presence),
        baseline: best(runs.plain),
        baselineName: 'the same poll, presence off',
        target: '≥ 0.95',
      },
    ];
  } finally {
    await Promise.all([withPresence.stop(), plain.stop()]);
  }

  // --- ETA against the real wait ----------------------------------------------------------------
  {
    const { room } = system;
    const queueId = 'bench-eta';
    await system.admin(queueId, { maxActive: 20, activeTtlSeconds: 10 });
    const arrivals = system.quick ? 300 : 600;
    const perSecond = 30; // more than the line serves (20 fans turning over about once a second)
    type Fan = { joinedAt: number; eta: number; admittedAt?: number; measured: boolean };
    const fans: Fan[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: arrivals }, async (_, i) => {
        await sleep((i / perSecond) * 1000);
        const userId = `eta-${system.runId}-${i}`;
        const joined = (await room.join(queueId, userId))!;
        const ref = { userId, tokenId: joined.tokenId, issuedAt: joined.issuedAt };
        const fan: Fan = { joinedAt: Date.now(), eta: joined.etaSeconds ?? 0, measured: Date.now() - started > 5000 };
        fans.push(fan);
        let status: string = joined.status;
        while (status === 'WAITING') {
          await sleep(200);
          const placement = await room.status(queueId, ref);
          if (!placement) return;
          status = placement.status;
        }
        fan.admittedAt = Date.now();
        await sleep(500 + ((i * 7919) % 1000)); // a look around, then leave
        await room.remove(queueId, ref);
      }),
    );
    const served = fans.filter((fan) => fan.admittedAt !== undefined);
    const errors = served.map((fan) => Math.abs(fan.eta - (fan.admittedAt! - fan.joinedAt) / 1000));
    const later = served.filter((fan) => fan.measured);
    const laterErrors = later.map((fan) => Math.abs(fan.eta - (fan.admittedAt! - fan.joinedAt) / 1000));
    const waits = served.map((fan) => (fan.admittedAt! - fan.joinedAt) / 1000);
    raw.eta = {
      fans: served.length,
      medianWaitSeconds: median(waits),
      medianAbsoluteErrorSeconds: median(errors),
      medianAbsoluteErrorOnceMeasuredSeconds: median(laterErrors),
    };
    notes.push(
      `ETA at join vs the real wait, ${served.length} fans through a line of 20 active (arriving 30/s, leaving ` +
        `after 0.5–1.5 s): median wait ${median(waits).toFixed(1)} s, median absolute error ` +
        `${median(errors).toFixed(1)} s overall, ${median(laterErrors).toFixed(1)} s for the ${later.length} who ` +
        `joined once the rate had been measured (> 5 s in)`,
    );
  }

  // --- 10,000 event streams on one gateway --------------------------------------------------------
  {
    const streams = STREAMS;
    const queueId = 'bench-sse';
    await system.admin(queueId, { maxActive: 1 });
    const tokens = await system.joinMany(queueId, streams, 'sse');
    const gatewayPid = system.pidsOf('gateway')[0]!;
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    /** `events` so far; `markedAt`: the time of the first event after `mark` was set. */
    type Stream = { events: number; mark: number; markedAt: number; close: () => void };
    const open: Stream[] = [];
    const rssBefore = rssOf(gatewayPid);
    const openStarted = performance.now();
    await loop({
      concurrency: 200,
      amount: streams,
      operation: (i) =>
        new Promise<void>((resolve, reject) => {
          const url = new URL(`${system.gateway}/queues/${queueId}/tokens/me/events`);
          const req = request(url, { agent, headers: bearer(tokens[i]!) }, (res) => {
            if (res.statusCode !== 200) return reject(new Error(`stream ${i}: ${res.statusCode}`));
            const stream: Stream = { events: 0, mark: Infinity, markedAt: 0, close: () => req.destroy() };
            open.push(stream);
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              const events = chunk.split('event: ').length - 1;
              if (!events) return;
              stream.events += events;
              if (stream.events > stream.mark && !stream.markedAt) stream.markedAt = performance.now();
              resolve();
            });
            res.on('error', () => {});
          });
          req.on('error', reject);
          req.end();
        }),
    });
    const openSeconds = (performance.now() - openStarted) / 1000;
    await sleep(2000);
    const rssAfter = rssOf(gatewayPid);
    const subscriptions = Number(
      ((await system.redis.pubsub('NUMSUB', queueKeys(system.prefix, queueId).events)) as [string, number])[1],
    );

    // One admission wave: 1,000 more may be active; one tick admits them, every stream moves.
    const subscriber = system.redis.duplicate();
    let publishedAt = 0;
    await subscriber.subscribe(queueKeys(system.prefix, queueId).events);
    subscriber.on('message', () => {
      publishedAt ||= performance.now();
    });
    for (const stream of open) stream.mark = stream.events;
    await system.redis.hset(queueKeys(system.prefix, queueId).settings, 'maxActive', 1001);
    const { admitted } = await system.room.tick(queueId);
    // Everybody but the fan who was active already (nothing changed for them) is told.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && open.filter((stream) => stream.markedAt).length < open.length - 1) await sleep(20);
    const told = open.filter((stream) => stream.markedAt);
    const waveMs = Math.max(...told.map((stream) => stream.markedAt)) - publishedAt;
    for (const stream of open) stream.close();
    await subscriber.quit();
    agent.destroy();
    const perStream = (rssAfter - rssBefore) / open.length;
    raw.streams = {
      streams: open.length,
      openSeconds,
      rssBefore,
      rssAfter,
      bytesPerStream: perStream,
      subscriptions,
      waveAdmitted: admitted,
      waveTold: told.length,
      waveMs,
    };
    notes.push(
      `Event streams: ${open.length} open on one gateway (opened in ${openSeconds.toFixed(1)} s), its RSS ` +
        `${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB: ${(perStream / 1024).toFixed(1)} KiB ` +
        `per stream; ${subscriptions} Redis subscription for them; an admission wave (${admitted} admitted, every ` +
        `position moved) reached ${told.length} streams within ${waveMs.toFixed(0)} ms of its publish`,
    );
    log(notes.at(-1)!);
  }

  // --- opening a 100,000-fan lobby ----------------------------------------------------------------
  {
    const queueId = 'bench-lobby';
    const { room, redis } = system;
    await system.admin(queueId, { maxActive: 1000, opensAt: new Date(Date.now() + 3_600_000).toISOString() });
    const userIds = Array.from({ length: LOBBY_FANS }, (_, i) => `lobby-${system.runId}-${i}`);
    const joins = await loop({
      concurrency: 500,
      amount: LOBBY_FANS,
      operation: (i) => room.join(queueId, userIds[i]!),
    });
    const lobbyFigures = (await room.figures(queueId))!;
    const opensAtMs = Date.now() + 2000;
    await system.admin(queueId, { opensAt: new Date(opensAtMs).toISOString() }); // the same draw, sooner
    await sleep(opensAtMs - Date.now());
    const meter = cpuMeter([]);
    const started = performance.now();
    const keys = queueKeys(system.prefix, queueId);
    while ((await redis.hget(keys.draw, 'phase')) !== 'open' && performance.now() - started < 120_000) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    const redisMicrosPerFan = meter(LOBBY_FANS).redis;
    const figures = (await room.figures(queueId))!;
    const head = [
      ...(await redis.zrange(keys.active, '0', '-1')).sort(),
      ...(await redis.zrange(keys.waiting, '0', '999')),
    ];
    const drawn = drawOrder(figures.shuffleSeed!, userIds);
    const orderOk =
      JSON.stringify(head.slice(0, figures.active)) === JSON.stringify(drawn.slice(0, figures.active).sort()) &&
      JSON.stringify(head.slice(figures.active)) === JSON.stringify(drawn.slice(figures.active, figures.active + 1000));
    raw.lobby = {
      fans: LOBBY_FANS,
      joinsPerSecond: joins.rps,
      lobbyBefore: lobbyFigures.lobby,
      openingSeconds: seconds,
      redisMicrosPerFan,
      redisSeconds: (redisMicrosPerFan * LOBBY_FANS) / 1e6,
      admitted: figures.active,
      orderOk,
    };
    notes.push(
      `Lobby opening: ${lobbyFigures.lobby} fans (joined at ${joins.rps.toFixed(0)}/s through the join script, ` +
        `HMAC included) put in line in the drawn order in ${seconds.toFixed(2)} s after opensAt, ${figures.active} ` +
        `admitted; Redis CPU ${((redisMicrosPerFan * LOBBY_FANS) / 1e6).toFixed(2)} s (${redisMicrosPerFan} µs a fan, ` +
        `other work on the machine included); first 1,000 places ${orderOk ? 'match' : 'DO NOT match'} the order ` +
        `recomputed from the revealed seed`,
    );
    log(notes.at(-1)!);
  }

  return { rows: pollRows, notes, raw: { waitingRoom: raw } };
}
