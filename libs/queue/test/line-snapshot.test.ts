import t from 'tap';
import { createPlacementReader, type TokenRef } from '../src/index.js';
import { queueSettings } from './settings.js';
import { refOf, roomContext, sleep } from './helper.js';

const REFRESH_MS = 200;

/** Joins `count` fans one script call at a time (arrival order = index), pipelined in slices. */
async function joinMany(room: Awaited<ReturnType<typeof roomContext>>['waitingRoom'], queueId: string, count: number) {
  const refs: TokenRef[] = [];
  for (let from = 0; from < count; from += 500) {
    const slice = Array.from({ length: Math.min(500, count - from) }, (_, i) => `fan-${from + i}`);
    const joined = await Promise.all(slice.map((userId) => room.join(queueId, userId)));
    joined.forEach((placement, i) => refs.push(refOf(slice[i]!, placement!)));
  }
  return refs;
}

/** A reader whose first snapshot of `queueId` has arrived. */
async function readerWithSnapshot(
  waitingRoom: Parameters<typeof createPlacementReader>[0]['waitingRoom'],
  queueId: string,
  probe: TokenRef,
) {
  const reader = createPlacementReader({ waitingRoom, refreshMs: REFRESH_MS });
  await reader.placement(queueId, probe); // asks Redis, and starts keeping snapshots of the queue
  await sleep(REFRESH_MS * 2);
  return reader;
}

t.test('positions counted from a snapshot equal ZRANK, in a line with holes', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('big', queueSettings({ maxActive: 1, paused: true }));
  const refs = await joinMany(room, 'big', 6000);
  // Holes everywhere: a third leave (at random), some are revoked.
  const leaving = refs.filter((_, i) => i % 3 === 1 || i % 97 === 0);
  for (const ref of leaving) await room.remove('big', ref);
  for (const ref of refs.filter((_, i) => i % 101 === 5)) await room.revoke('big', ref.userId);
  const gone = new Set([...leaving, ...refs.filter((_, i) => i % 101 === 5)].map((ref) => ref.userId));
  const staying = refs.filter((ref) => !gone.has(ref.userId));

  const reader = await readerWithSnapshot(room, 'big', staying[0]!);
  t.teardown(() => reader.close());
  const before = reader.counts();
  const placements = await reader.placements('big', refs);
  const after = reader.counts();

  let mismatches = 0;
  for (const [i, ref] of refs.entries()) {
    const placement = placements[i];
    if (gone.has(ref.userId)) {
      if (placement !== null) mismatches++;
      continue;
    }
    const rank = await redis.zrank(keys('big').waiting, ref.userId);
    if (placement?.position !== rank! + 1) mismatches++;
  }
  t.equal(mismatches, 0, `every one of ${refs.length} placements is exact (ZRANK + 1), every gone fan is gone`);
  const fromSnapshot = after.fromSnapshot - before.fromSnapshot;
  t.ok(
    fromSnapshot >= staying.length - 1000,
    `${fromSnapshot} of ${staying.length} waiting fans answered without a Redis call (all beyond the exact zone)`,
  );
  t.ok(after.exactRank - before.exactRank <= 1000, 'the first thousand places get an exact ZRANK');
  t.match(placements.at(-1), { status: 'WAITING', queueStatus: 'PAUSED', etaSeconds: Number, pollAfterSeconds: 30 });
});

t.test('while the line moves, the error stays under 1 % of the position, and the front is exact', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('moving', queueSettings({ maxActive: 1, paused: true }));
  const refs = await joinMany(room, 'moving', 8000);
  const reader = createPlacementReader({ waitingRoom: room, refreshMs: 1000 });
  t.teardown(() => reader.close());
  const nextSnapshot = async () => {
    const seen = reader.counts().snapshots;
    while (reader.counts().snapshots === seen) await sleep(5);
  };
  await reader.placement('moving', refs[0]!);
  await nextSnapshot();
  // The line moves by 30 a second (fans at the head leave, as if admitted), which the reader
  // measures between its snapshots...
  let head = 0;
  const move = async () => {
    await Promise.all(refs.slice(head, head + 30).map((ref) => room.remove('moving', ref)));
    head += 30;
  };
  await move();
  await nextSnapshot();
  // ... and moves as much again after the last one it read.
  await move();
  const placements = await reader.placements('moving', refs);
  const pipeline = redis.pipeline();
  for (const ref of refs) pipeline.zrank(keys('moving').waiting, ref.userId);
  const ranks = ((await pipeline.exec()) ?? []).map(([, rank]) => rank as number | null);

  let worst = 0;
  let inexactFront = 0;
  let stale = 0;
  for (const [i, rank] of ranks.entries()) {
    if (rank === null) continue; // gone
    const exact = rank + 1;
    const error = Math.abs(placements[i]!.position! - exact) / exact;
    if (error > 0) stale++;
    if (exact <= 1000 && error > 0) inexactFront++;
    worst = Math.max(worst, error);
  }
  t.equal(inexactFront, 0, 'the front is exact');
  t.ok(worst <= 0.01, `worst error ${(worst * 100).toFixed(2)} % of the position`);
  t.ok(stale > 0, `${stale} positions were served from the older snapshot`);
});

t.test('who leaves, is admitted or revoked is never answered from an old snapshot for long', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  await room.configure('gone', queueSettings({ maxActive: 1, paused: true }));
  const refs = await joinMany(room, 'gone', 3000);
  const reader = await readerWithSnapshot(room, 'gone', refs[0]!);
  t.teardown(() => reader.close());
  const far = refs[2500]!;
  t.match(await reader.placement('gone', far), { status: 'WAITING', position: 2501 });

  // Ended by this process: gone at once.
  await room.remove('gone', far);
  reader.departed('gone', far.tokenId);
  t.equal(await reader.placement('gone', far), null, 'a leave through this instance shows at once');
  // Ended elsewhere: gone within a refresh.
  const other = refs[2600]!;
  await room.revoke('gone', other.userId);
  await sleep(REFRESH_MS * 2 + 100);
  t.equal(await reader.placement('gone', other), null, 'a revoke elsewhere shows within a refresh');
  t.match(await reader.placement('gone', refs[2700]!), { position: 2699 }, 'and the fans behind moved up');
});

t.test('the lobby, the opening and the draw', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  const opensAtMs = Date.now() + 6000; // joining 1,500 takes a moment on a busy machine
  await room.configure('draw', queueSettings({ maxActive: 1, opensAt: new Date(opensAtMs).toISOString() }));
  const lobby = await joinMany(room, 'draw', 1500);
  const reader = await readerWithSnapshot(room, 'draw', lobby[0]!);
  t.teardown(() => reader.close());

  const before = reader.counts().fromSnapshot;
  const inLobby = await reader.placements('draw', lobby);
  t.ok(
    inLobby.every((p) => p?.status === 'WAITING' && p.position === null && p.queueStatus === 'LOBBY'),
    'in the lobby: no position',
  );
  t.equal(reader.counts().fromSnapshot - before, lobby.length, 'all answered from the snapshot');
  await room.revoke('draw', lobby[7]!.userId);
  await sleep(REFRESH_MS * 2 + 100);
  t.equal(await reader.placement('draw', lobby[7]!), null, 'a revoked lobby token is gone');

  await sleep(Math.max(0, opensAtMs - Date.now()) + 20);
  await room.tick('draw', { placeBatch: 500, placeBudgetMs: 0 }); // opens, places 500 of the 1499
  const opening = await reader.placements('draw', lobby);
  t.ok(
    opening.every((p, i) => (i === 7 ? p === null : p !== null && p.queueStatus !== 'LOBBY')),
    'a snapshot older than the opening is not trusted: Redis answers',
  );
  await sleep(REFRESH_MS * 2 + 100);
  const drawing = await reader.placements('draw', lobby);
  const unplaced = drawing.filter((p) => p?.status === 'WAITING' && p.position === null);
  t.equal(unplaced.length, 1499 - 500, 'the fans not placed yet have no position...');
  t.ok(
    unplaced.every((p) => p!.queueStatus === 'OPEN' && p!.pollAfterSeconds >= 2 && p!.pollAfterSeconds <= 6),
    '...the queue is open, and they come back within a few seconds, spread',
  );
  t.ok(new Set(unplaced.map((p) => p!.pollAfterSeconds)).size > 1, 'spread over several seconds');

  while ((await room.placeLobby('draw', 1000)).remaining > 0);
  await sleep(REFRESH_MS * 2 + 100);
  const exact = await room.statuses('draw', lobby);
  const learned = await reader.placements('draw', lobby); // the draw's places are learned from Redis once...
  const countsBefore = reader.counts();
  const again = await reader.placements('draw', lobby); // ... then come from snapshots
  t.same(
    again.map((p) => p?.position ?? null),
    exact.map((p) => p?.position ?? null),
    'positions after the draw are the drawn ones',
  );
  t.same(
    learned.map((p) => p?.position ?? null),
    exact.map((p) => p?.position ?? null),
  );
  const fromSnapshot = reader.counts().fromSnapshot - countsBefore.fromSnapshot;
  t.ok(fromSnapshot >= 1498 - 1000, `${fromSnapshot} drawn places answered from the snapshot`);
});

t.test('without a fresh snapshot every placement asks Redis', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  await room.configure('off', queueSettings({ maxActive: 1, paused: true }));
  const refs = await joinMany(room, 'off', 1500);
  const reader = createPlacementReader({ waitingRoom: room, refreshMs: 0 });
  await reader.placements('off', refs);
  await sleep(100);
  t.match(reader.counts(), { fromSnapshot: 0, exactRank: 0, fromRedis: 1500 }, 'snapshots off: Redis');
  t.same(reader.queues(), []);

  let failing = false;
  const flaky = createPlacementReader({
    waitingRoom: {
      ...room,
      lineSnapshot: (queueId) => (failing ? Promise.reject(new Error('redis down')) : room.lineSnapshot(queueId)),
    },
    refreshMs: REFRESH_MS,
  });
  t.teardown(() => flaky.close());
  await flaky.placement('off', refs[0]!);
  await sleep(REFRESH_MS * 2);
  await flaky.placement('off', refs[1400]!);
  t.equal(flaky.counts().fromSnapshot, 1, 'a snapshot answers');
  failing = true;
  await sleep(REFRESH_MS * 2);
  await flaky.placement('off', refs[1400]!);
  t.equal(flaky.counts().fromSnapshot, 1, 'a failed refresh drops the snapshot: Redis answers (or fails fast)');
});

t.test('told of a change, the reader answers from a snapshot read after it (event streams)', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  await room.configure('pushed', queueSettings({ maxActive: 1, paused: true }));
  const refs = await joinMany(room, 'pushed', 3000);
  const reader = createPlacementReader({ waitingRoom: room, refreshMs: 60_000 }); // no refresh of its own meanwhile
  t.teardown(() => reader.close());
  await reader.placement('pushed', refs[0]!);
  while (reader.counts().snapshots === 0) await sleep(5);
  t.match(await reader.placement('pushed', refs[2500]!), { position: 2501 });

  await Promise.all(refs.slice(0, 500).map((ref) => room.remove('pushed', ref))); // the head moves on
  t.match(await reader.placement('pushed', refs[2500]!), { position: 2501 }, 'a plain read may be a snapshot old');
  const [after] = await reader.placements('pushed', [refs[2500]!], { changedAt: Date.now() });
  t.match(after, { position: 2001 }, 'after a change it is told of, the new position');
  t.equal(reader.counts().snapshots, 2, 'by reading the snapshot once more');
});
