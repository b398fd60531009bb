import t from 'tap';
import { createPresenceRecorder } from '../src/index.js';
import { queueSettings } from './settings.js';
import { refOf, roomContext, sleep } from './helper.js';

t.test('presence is written in batches: one call per queue and flush, touching only live tokens', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('p', queueSettings({ maxActive: 1 }));
  for (let i = 0; i < 300; i++) await room.join('p', `fan-${i}`);
  const before = (await room.lastSeen('p', 'fan-150'))!;
  t.ok(Math.abs(before - Date.now()) < 2000, 'joining counts as being seen');
  const tokenBefore = await redis.hget(keys('p').users, 'fan-150');

  const writes: number[] = [];
  const recorder = createPresenceRecorder({
    waitingRoom: {
      markPresent: async (queueId, userIds) => {
        writes.push(userIds.length);
        await room.markPresent(queueId, userIds);
      },
    },
    flushMs: 60_000, // flushed by hand below
  });
  t.teardown(() => recorder.close());
  await sleep(1100); // presence is kept to the second
  for (let poll = 0; poll < 3; poll++) for (let i = 1; i < 300; i++) recorder.seen('p', `fan-${i}`);
  recorder.seen('p', 'stranger'); // no token at all
  t.equal(recorder.pendingCount(), 300, 'polls are remembered, once per user');
  t.equal(writes.length, 0, 'and nothing is written per poll');
  await recorder.flush();
  t.same(writes, [300], 'one write for the whole batch');
  t.ok((await room.lastSeen('p', 'fan-150'))! > before, 'waiters are marked present');
  t.equal(await redis.hexists(keys('p').users, 'stranger'), 0, 'nobody is added');
  t.equal(
    (await redis.hget(keys('p').users, 'fan-150'))!.split(':').slice(0, 2).join(':'),
    tokenBefore!.split(':').slice(0, 2).join(':'),
    'the token is the same',
  );
  t.ok((await room.lastSeen('p', 'fan-0'))! <= before, 'who was not seen is not marked');
});

t.test('abandonment: fans not seen for abandonAfterSeconds are dropped, those seen are kept', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('a', queueSettings({ maxActive: 1, opensAt: null }));
  // A grace shorter than the API allows (30 s), straight in Redis, so the test need not wait.
  await redis.hset(keys('a').settings, 'abandonAfterSeconds', 2);
  const joined = new Map<string, Awaited<ReturnType<typeof room.join>>>();
  for (const userId of ['active', 'silent', 'polling', 'also-silent', 'last'])
    joined.set(userId, await room.join('a', userId));
  const recorder = createPresenceRecorder({ waitingRoom: room, flushMs: 200 });
  t.teardown(() => recorder.close());
  const polling = setInterval(() => recorder.seen('a', 'polling'), 300);
  recorder.addSource(() => [['a', ['last']]]); // an open stream
  t.teardown(() => clearInterval(polling));

  await sleep(1000);
  t.match(await room.dropAbandoned('a'), { dropped: 0 }, 'nobody is late yet');
  await sleep(2100); // presence is kept to the second: dropped between 2 and 3 s after last seen
  t.match(await room.tick('a'), { abandoned: 2 });
  const ref = (userId: string) => refOf(userId, joined.get(userId)!);
  t.equal(await room.status('a', ref('silent')), null, 'a silent waiter is gone');
  t.equal(await room.status('a', ref('also-silent')), null);
  t.match(await room.status('a', ref('polling')), { status: 'WAITING', position: 1 }, 'one who polls moves up');
  t.match(await room.status('a', ref('last')), { status: 'WAITING', position: 2 }, 'one who streams stays');
  t.match(await room.status('a', ref('active')), { status: 'ACTIVE' }, 'active fans are never abandoned');
  t.match((await room.figures('a'))!, { waiting: 2, abandonedTotal: 2 });
  t.equal(await room.remove('a', ref('silent')).then((r) => r.removed), false, 'its token is dead');
});

t.test('abandonment in the lobby: dropped before the draw, its lobby entry skipped', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  const opensAtMs = Date.now() + 3500;
  await room.configure('l', queueSettings({ maxActive: 5, opensAt: new Date(opensAtMs).toISOString() }));
  await redis.hset(keys('l').settings, 'abandonAfterSeconds', 1);
  const stays = (await room.join('l', 'stays'))!;
  const leaves = (await room.join('l', 'leaves'))!;
  const keepAlive = setInterval(() => void room.markPresent('l', ['stays']), 200);
  t.teardown(() => clearInterval(keepAlive));
  await sleep(2100);
  t.match(await room.dropAbandoned('l'), { dropped: 1 });
  t.equal(await room.status('l', refOf('leaves', leaves)), null);
  t.match((await room.figures('l'))!, { lobby: 1 });
  await sleep(opensAtMs - Date.now() + 10);
  clearInterval(keepAlive);
  t.match(await room.tick('l'), { opened: true, placed: 1, admitted: 1 });
  t.match(await room.status('l', refOf('stays', stays)), { status: 'ACTIVE' });
  t.equal(await redis.hexists(keys('l').users, 'leaves'), 0);
});

t.test('a fan written recently is not written again within a quarter of the grace; then it is', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  await room.configure('q', queueSettings({ maxActive: 1 }));
  for (const userId of ['front', 'polls', 'streams']) await room.join('q', userId);
  const writes: string[][] = [];
  let graceSeconds: number | undefined = 4; // a quarter: 1 s
  let failing = false;
  const recorder = createPresenceRecorder({
    waitingRoom: {
      markPresent: async (queueId, userIds) => {
        if (failing) throw new Error('Redis is down');
        writes.push([...userIds].sort());
        return room.markPresent(queueId, userIds);
      },
    },
    flushMs: 60_000, // flushed by hand below
    abandonAfterSecondsOf: (queueId) => (queueId === 'q' ? graceSeconds : undefined),
  });
  t.teardown(() => recorder.close());
  recorder.addSource(() => [['q', ['streams']]]);

  recorder.seen('q', 'polls');
  await recorder.flush();
  t.same(writes, [['polls', 'streams']], 'the first sighting of each is written');
  recorder.seen('q', 'polls');
  await recorder.flush();
  t.equal(writes.length, 1, 'a poll and an open stream just written are not written again');
  t.equal(recorder.skippedCount(), 2);

  await sleep(1100);
  recorder.seen('q', 'polls');
  await recorder.flush();
  t.same(writes[1], ['polls', 'streams'], 'past a quarter of the grace they are written again');

  await sleep(1100);
  failing = true;
  recorder.seen('q', 'polls');
  await recorder.flush();
  failing = false;
  recorder.seen('q', 'polls');
  await recorder.flush();
  t.same(writes[2], ['polls', 'streams'], 'a failed write is not remembered: the next sighting writes');

  graceSeconds = undefined; // no snapshot of the queue (yet): every sighting is written
  recorder.seen('q', 'polls');
  await recorder.flush();
  t.same(writes[3], ['polls', 'streams']);
});
