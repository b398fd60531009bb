import t from 'tap';
import { estimateWaitSeconds, pollAfterSeconds } from '../src/index.js';
import { queueSettings } from './settings.js';
import { refOf, roomContext, sleep } from './helper.js';

t.test('the seat cap: never more active than ceil(seats left x maxActivePerSeat)', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('seats', queueSettings({ maxActive: 10, maxActivePerSeat: 1 }));
  const seats = keys('seats').seats;
  await redis.hset(seats, 'left', 3, 'held', 0);
  const joined = new Map<string, Awaited<ReturnType<typeof room.join>>>();
  for (let i = 0; i < 8; i++) joined.set(`fan-${i}`, await room.join('seats', `fan-${i}`));
  t.match((await room.figures('seats'))!, { active: 3, waiting: 5, seatsLeft: 3 }, '3 seats, 3 admitted');
  t.match(await room.status('seats', refOf('fan-3', joined.get('fan-3')!)), { position: 1, etaSeconds: 600 });

  // One of them holds a seat: 2 left, 1 held. Someone leaves: the slot is not handed over.
  await redis.hset(seats, 'left', 2, 'held', 1);
  t.match(await room.remove('seats', refOf('fan-0', joined.get('fan-0')!)), { removed: true, admitted: 0 });
  t.match(await room.tick('seats'), { admitted: 0 });
  t.equal((await room.figures('seats'))!.active, 2);

  // 5 left at half a fan per seat: ceil(2.5) = 3.
  await room.configure('seats', queueSettings({ maxActive: 10, maxActivePerSeat: 0.5 }));
  await redis.hset(seats, 'left', 5);
  t.match(await room.tick('seats'), { admitted: 1 });
  // 30 x 0.1 is 3.0000000000000004 in binary floating point: still 3.
  await room.configure('seats', queueSettings({ maxActive: 10, maxActivePerSeat: 0.1 }));
  await redis.hset(seats, 'left', 30);
  t.match(await room.tick('seats'), { admitted: 0 });
  t.equal((await room.figures('seats'))!.active, 3);

  // No seats hash at all: booking has said nothing, so there is no seat cap.
  await redis.del(seats);
  t.match(await room.tick('seats'), { admitted: 4 });
  t.match((await room.figures('seats'))!, { active: 7, seatsLeft: null });
});

t.test('SOLD_OUT while nothing is left and nothing is held: nobody admitted, waiters keep their place', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('gone', queueSettings({ maxActive: 2 }));
  const a = (await room.join('gone', 'a'))!;
  await room.join('gone', 'b');
  const c = (await room.join('gone', 'c'))!;
  const d = (await room.join('gone', 'd'))!;
  t.equal(c.position, 1);

  await redis.hset(keys('gone').seats, 'left', 0, 'held', 1);
  t.equal((await room.figures('gone'))!.queueStatus, 'OPEN', 'a hold is pending: not sold out yet');
  await redis.hset(keys('gone').seats, 'held', 0);
  t.equal((await room.figures('gone'))!.queueStatus, 'SOLD_OUT');
  t.match(await room.status('gone', refOf('c', c)), { status: 'WAITING', position: 1, queueStatus: 'SOLD_OUT' });
  t.match(await room.remove('gone', refOf('a', a)), { removed: true, admitted: 0 }, 'a freed slot is not handed over');
  t.match(await room.tick('gone'), { admitted: 0 });
  t.match(await room.status('gone', refOf('d', d)), { position: 2, queueStatus: 'SOLD_OUT' }, 'places kept');

  await redis.hset(keys('gone').seats, 'left', 1); // a refund
  t.match(await room.tick('gone'), { admitted: 1 });
  t.match(await room.status('gone', refOf('c', c)), { status: 'ACTIVE', queueStatus: 'OPEN' });
});

t.test('admitPerMinute: never more admissions in any rolling minute', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('paced', queueSettings({ maxActive: 10, admitPerMinute: 4 }));
  const joined = new Map<string, Awaited<ReturnType<typeof room.join>>>();
  for (let i = 0; i < 10; i++) joined.set(`fan-${i}`, await room.join('paced', `fan-${i}`));
  t.match((await room.figures('paced'))!, { active: 4, waiting: 6, admittedLastMinute: 4, admitPerMinute: 4 });
  t.match(await room.status('paced', refOf('fan-9', joined.get('fan-9')!)), {
    position: 6,
    etaSeconds: 600, // no measured rate yet: ceil(6/10) x 600 s, which is slower than 6 x 60/4 = 90 s
  });
  await room.remove('paced', refOf('fan-0', joined.get('fan-0')!));
  t.match(await room.tick('paced'), { admitted: 0 }, 'room, but the minute is used up');

  // The minute rolls on: move the recorded admissions 61 seconds back.
  const ring = keys('paced').minute;
  for (const [field, value] of Object.entries(await redis.hgetall(ring))) {
    const [second, count] = value.split(':').map(Number);
    await redis.hdel(ring, field);
    await redis.hset(ring, String((second! - 61) % 61), `${second! - 61}:${count}`);
  }
  t.match(await room.tick('paced'), { admitted: 4 }, 'a new minute, four more');
  t.equal((await room.figures('paced'))!.active, 7);
});

t.test('every admission is counted once, whatever makes it: join, leave, tick', async (t) => {
  const { waitingRoom: room, redis, keys } = await roomContext(t);
  await room.configure('count', queueSettings({ maxActive: 2, paused: false }));
  const everActive = new Set<string>();
  const joined = new Map<string, Awaited<ReturnType<typeof room.join>>>();
  for (let i = 0; i < 6; i++) {
    const j = (await room.join('count', `fan-${i}`))!;
    joined.set(`fan-${i}`, j);
    if (j.status === 'ACTIVE') everActive.add(`fan-${i}`); // admitted by the join
  }
  await room.remove('count', refOf('fan-0', joined.get('fan-0')!)); // the leave hands its slot over
  await redis.zadd(keys('count').active, '0', 'fan-1'); // fan-1's time is over
  await room.tick('count'); // the tick expires fan-1 and admits
  for (const userId of await redis.zrange(keys('count').active, '0', '-1')) everActive.add(userId);
  everActive.add('fan-2'); // admitted on leave (then still active)
  t.same(await room.totals('count'), {
    joined: 6,
    admitted: everActive.size,
    expired: 1,
    abandoned: 0,
    revoked: 0,
    left: 1,
    paid: 0,
    openings: 0,
  });
  t.equal((await room.figures('count'))!.admittedTotal, 4);
});

t.test('revoke: a token whose active time is over is not live (not found), even before the clean-up', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  await room.configure('short', queueSettings({ maxActive: 1, activeTtlSeconds: 1 }));
  const a = (await room.join('short', 'a'))!;
  t.equal(a.status, 'ACTIVE');
  await sleep(1100);
  t.equal(await room.revoke('short', 'a'), null, 'nothing live to revoke');
  t.match(await room.remove('short', refOf('a', a)), { removed: false }, 'nor to leave');
  t.match(await room.totals('short'), { expired: 1, revoked: 0 });
  const b = (await room.join('short', 'b'))!;
  t.equal(b.status, 'ACTIVE');
  t.match(await room.revoke('short', 'b'), /^\d+$/, 'the id of the token it ended');
  t.match(await room.totals('short'), { revoked: 1 });
  t.equal(await room.revoke('short', 'b'), null, 'only once');
});

t.test('ETA and pacing', async (t) => {
  const queue = { maxActive: 50, activeTtlSeconds: 600, admissionsPerSecond: 0 };
  t.equal(estimateWaitSeconds(100, { ...queue, admissionsPerSecond: 10 }), 10, 'measured rate first');
  t.equal(estimateWaitSeconds(51, queue), 1200, 'else batches of maxActive per active time');
  t.equal(
    estimateWaitSeconds(51, { ...queue, activeTtlSeconds: 60, admitPerMinute: 10 }),
    306,
    'never faster than admitPerMinute',
  );

  const waiting = (position: number, etaSeconds: number) =>
    pollAfterSeconds({ status: 'WAITING', position, etaSeconds, queueStatus: 'OPEN' });
  t.equal(waiting(1, 600), 1, 'at the front: every second');
  t.equal(waiting(20, 40), 4, 'a tenth of the wait');
  t.equal(waiting(5000, 10_000), 30, 'far back: 30 s at most');
  t.equal(
    pollAfterSeconds({ status: 'WAITING', position: 5000, etaSeconds: 10_000, queueStatus: 'OPEN' }, 30),
    10,
    'never beyond a third of the abandonment grace',
  );
  t.equal(
    pollAfterSeconds({ status: 'WAITING', position: null, etaSeconds: 7, queueStatus: 'LOBBY' }),
    7,
    'the lobby: at the opening',
  );
  t.equal(pollAfterSeconds({ status: 'ACTIVE', position: null, etaSeconds: null, queueStatus: 'OPEN' }), 30);
});
