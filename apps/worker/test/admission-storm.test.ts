import t from 'tap';
import { connectWaitingRoom, createPresenceRecorder, drawOrder, queueKeys, type TokenRef } from '@concert/queue';
import { sleep, startWorker, workerContext } from './helper.js';

/** One atomic look at the queue: who is active, who is next in line, and the seat figure. */
const SAMPLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local active = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1] or ''
local lobbyHead = ''
for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, 500)) do
  local userId = string.sub(member, 33)
  if redis.call('HEXISTS', KEYS[4], userId) == 1 and not redis.call('ZSCORE', KEYS[2], userId)
    and not redis.call('ZSCORE', KEYS[1], userId) then lobbyHead = userId break end
end
return { now, active, head, lobbyHead, redis.call('HGET', KEYS[5], 'left') or '' }`;

type Sample = { now: number; active: string[]; head: string; lobbyHead: string; seatsLeft: number | null };

t.test('invariant 4 under a storm: joins, leaves, revokes, abandonment, two workers and an opening', async (t) => {
  const context = await workerContext(t);
  const { redis, config, issuer } = context;
  const queueId = 'storm';
  const keys = queueKeys(config.REDIS_PREFIX, queueId);
  const maxActive = 6;
  const admitPerMinute = 40;
  let opensAtMs = Date.now() + 60_000; // set for real once the lobby has formed
  await issuer.configure(queueId, {
    maxActive,
    admitPerMinute,
    maxActivePerSeat: 1,
    opensAt: new Date(opensAtMs).toISOString(),
  });
  // Shorter than the API allows, straight in Redis: turns of 1 s, absence noticed after 2 s.
  await redis.hset(keys.settings, 'activeTtlSeconds', 1, 'abandonAfterSeconds', 2);
  await redis.hset(keys.seats, 'left', 3, 'held', 0);

  // Two gateways' worth of waiting rooms (each with its own cache of the seed) and their presence.
  const second = connectWaitingRoom(config);
  t.teardown(() => second.redis.disconnect());
  const rooms = [issuer.waitingRoom, second.waitingRoom];
  const present = new Set<string>();
  const recorders = rooms.map((room) => {
    const recorder = createPresenceRecorder({ waitingRoom: room, flushMs: 200 });
    return recorder;
  });
  recorders[0]!.addSource(() => [[queueId, [...present]]]);
  t.teardown(() => Promise.all(recorders.map((recorder) => recorder.close())));

  await Promise.all([startWorker(t, context), startWorker(t, context)]);

  const refs = new Map<string, TokenRef>();
  const arrival = new Map<string, number>(); // token id = arrival number
  const lobbyFans = Array.from({ length: 60 }, (_, i) => `lobby-${String(i).padStart(2, '0')}`);
  const lateFans = Array.from({ length: 30 }, (_, i) => `late-${String(i).padStart(2, '0')}`);
  const silent = new Set([...lobbyFans, ...lateFans].filter((_, i) => i % 10 === 0));
  const removedWhileWaiting = new Set<string>();
  const everActiveByFan = new Set<string>();
  let running = true;

  const joinAs = async (userId: string, i: number) => {
    const joined = (await rooms[i % 2]!.join(queueId, userId))!;
    const ref = { userId, tokenId: joined.tokenId, issuedAt: joined.issuedAt };
    refs.set(userId, ref);
    arrival.set(userId, Number(joined.tokenId));
    if (!silent.has(userId)) present.add(userId);
    return joined;
  };

  /** A fan: polls; once active looks around and leaves, or lets the turn run out. */
  const fan = async (userId: string, i: number) => {
    const ref = refs.get(userId)!;
    while (running) {
      const placement = await rooms[(i + 1) % 2]!.status(queueId, ref);
      if (!placement) break;
      if (placement.status === 'ACTIVE') {
        everActiveByFan.add(userId);
        present.delete(userId);
        if (i % 7 !== 0) {
          await sleep(300 + (i % 5) * 100);
          await rooms[i % 2]!.remove(queueId, ref);
        }
        break;
      }
      if (!silent.has(userId)) recorders[i % 2]!.seen(queueId, userId);
      await sleep(40);
    }
    present.delete(userId);
  };

  // The sampler: one atomic look every few ms.
  const samples: Sample[] = [];
  const sampler = (async () => {
    while (running) {
      const [now, active, head, lobbyHead, left] = (await redis.eval(
        SAMPLE,
        5,
        keys.active,
        keys.waiting,
        keys.lobby,
        keys.users,
        keys.seats,
      )) as [number, string[], string, string, string];
      samples.push({ now, active, head, lobbyHead, seatsLeft: left === '' ? null : Number(left) });
      await sleep(3);
    }
  })();
  // Extra ticks from both rooms, besides the two workers' scheduled ones.
  const ticker = (async () => {
    while (running) {
      await Promise.all(rooms.map((room) => room.tick(queueId, { placeBatch: 7 })));
      await sleep(15);
    }
  })();

  // The lobby forms; some leave it, some are revoked.
  await Promise.all(lobbyFans.map((userId, i) => joinAs(userId, i)));
  const lobbyJourneys = lobbyFans.map((userId, i) => fan(userId, i));
  for (const [i, userId] of lobbyFans.entries()) {
    if (i % 10 === 1) {
      await rooms[i % 2]!.remove(queueId, refs.get(userId)!);
      removedWhileWaiting.add(userId);
    } else if (i % 10 === 2) {
      t.ok(await rooms[i % 2]!.revoke(queueId, userId), `${userId} revoked`);
      removedWhileWaiting.add(userId);
    }
  }

  // The opening is moved closer (the draw stays the same): silent lobby fans are dropped before it.
  opensAtMs = Date.now() + 3500;
  await issuer.configure(queueId, { opensAt: new Date(opensAtMs).toISOString() });
  await redis.hset(keys.settings, 'activeTtlSeconds', 1, 'abandonAfterSeconds', 2);
  const commitment = (await issuer.waitingRoom.figures(queueId))!.shuffleCommitment;

  // Newcomers right after the opening (some while the lobby is still being placed); more seats
  // come (the cap only grows here: admission never takes anyone's turn away).
  await sleep(opensAtMs - Date.now() + 20);
  const lateJourneys = lateFans.map(async (userId, i) => {
    await sleep((i % 15) * 60);
    await joinAs(userId, i);
    if (i % 10 === 3) {
      await rooms[i % 2]!.remove(queueId, refs.get(userId)!);
      removedWhileWaiting.add(userId);
      return;
    }
    await fan(userId, i);
  });
  await sleep(1000);
  await redis.hset(keys.seats, 'left', 5);
  await sleep(1000);
  await redis.hset(keys.seats, 'left', 10); // now maxActive binds

  // Until the minute's admissions are used up (or the line is empty), and a while longer.
  const deadline = Date.now() + 25_000;
  while (Date.now() < deadline) {
    const { admitted } = await issuer.waitingRoom.totals(queueId);
    if (admitted >= admitPerMinute || (await redis.zcard(keys.waiting)) === 0) break;
    await sleep(100);
  }
  await sleep(1500);
  running = false;
  await Promise.all([sampler, ticker, ...lobbyJourneys, ...lateJourneys]);
  const totals = await issuer.waitingRoom.totals(queueId);
  const figures = (await issuer.waitingRoom.figures(queueId))!;
  const lastSampleAt = samples.at(-1)!.now;
  t.ok(samples.length > 300, `${samples.length} atomic samples`);
  t.ok(lastSampleAt - opensAtMs < 60_000, 'all within the first minute after the opening');

  // Exactly one opening; nobody before it.
  t.equal(totals.openings, 1, 'exactly one opening');
  const early = samples.filter((s) => s.now < opensAtMs && s.active.length > 0);
  t.same(early, [], 'nobody active before opensAt');

  // Never above maxActive, nor the seat cap, nor admitPerMinute.
  const overCap = samples.filter(
    (s) => s.active.length > Math.min(maxActive, s.seatsLeft === null ? Infinity : Math.ceil(s.seatsLeft * 1)),
  );
  t.same(overCap, [], 'never above min(maxActive, ceil(seats left x 1))');
  t.ok(
    samples.some((s) => s.active.length === 3 && s.seatsLeft === 3),
    'the seat cap was reached',
  );
  t.ok(
    samples.some((s) => s.active.length === maxActive),
    'and maxActive, once seats allowed',
  );
  t.ok(totals.admitted <= admitPerMinute, `${totals.admitted} admissions in the first minute (cap ${admitPerMinute})`);
  t.equal(totals.admitted, admitPerMinute, 'the cap was what stopped admission');
  t.ok(figures.waiting > 0, `fans still waiting (${figures.waiting}) behind the rate cap`);
  t.equal(figures.admittedLastMinute, totals.admitted);

  // First come, first served: the drawn lobby order, then arrival order.
  t.match(figures.shuffleSeed, /^[0-9a-f]{64}$/);
  t.equal(figures.shuffleCommitment, commitment, 'the draw announced is the draw made');
  const drawn = drawOrder(figures.shuffleSeed!, lobbyFans);
  const lateByArrival = [...lateFans].sort((a, b) => arrival.get(a)! - arrival.get(b)!);
  const rank = new Map([...drawn, ...lateByArrival].map((userId, i) => [userId, i]));
  const admittedSoFar = new Set<string>();
  let highestAdmitted = -1;
  const outOfOrder: string[] = [];
  for (const sample of samples) {
    for (const userId of sample.active) {
      admittedSoFar.add(userId);
      highestAdmitted = Math.max(highestAdmitted, rank.get(userId)!);
    }
    const next = Math.min(
      ...[sample.head, sample.lobbyHead].filter(Boolean).map((userId) => rank.get(userId)!),
      Infinity,
    );
    if (highestAdmitted > next) outOfOrder.push(`${sample.now}: ${sample.head}/${sample.lobbyHead} waits`);
  }
  t.same(outOfOrder, [], 'nobody was ever admitted while someone ahead of them waited');
  t.ok(admittedSoFar.size >= 30, `${admittedSoFar.size} admissions seen by the sampler`);

  // Who left, was revoked or went silent was never admitted afterwards.
  const silentLobby = lobbyFans.filter((userId) => silent.has(userId));
  for (const userId of [...removedWhileWaiting, ...silentLobby]) {
    t.notOk(admittedSoFar.has(userId) || everActiveByFan.has(userId), `${userId} never admitted`);
  }
  t.ok(totals.abandoned >= silentLobby.length, `${totals.abandoned} abandoned (at least the silent lobby fans)`);
  for (const userId of silentLobby) t.equal(await issuer.waitingRoom.status(queueId, refs.get(userId)!), null);
  t.ok(totals.revoked === 6 && totals.left >= removedWhileWaiting.size - 6, 'leaves and revokes were counted');
});
