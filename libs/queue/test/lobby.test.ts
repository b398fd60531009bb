import t from 'tap';
import { createHash } from 'node:crypto';
import { drawCommitment, drawOrder, newDrawSeed } from '../src/index.js';
import { queueSettings } from './settings.js';
import { refOf, roomContext, sleep } from './helper.js';

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const tokenIdOf = (joined: { tokenId: string }) => Number(joined.tokenId);

t.test('before opensAt joiners wait in the lobby, with no position, and nobody is admitted', async (t) => {
  const { waitingRoom: room, keys, redis } = await roomContext(t);
  const opensAt = inMs(2500);
  await room.configure('q', queueSettings({ maxActive: 5, opensAt }));

  const joined = await Promise.all(Array.from({ length: 10 }, (_, i) => room.join('q', `fan-${i}`)));
  for (const j of joined) {
    t.match(j, { status: 'WAITING', position: null, activeUntil: null, queueStatus: 'LOBBY', opensAt, isNew: true });
    t.ok(j!.etaSeconds! >= 1 && j!.etaSeconds! <= 3, `etaSeconds counts to the opening (${j!.etaSeconds})`);
  }
  const figures = (await room.figures('q'))!;
  t.match(figures, { queueStatus: 'LOBBY', lobby: 10, waiting: 0, active: 0, opensAt, shuffleSeed: null });
  t.match(figures.shuffleCommitment, /^[0-9a-f]{64}$/, 'the commitment is published before the opening');

  for (let i = 0; i < 3; i++) t.match(await room.tick('q'), { admitted: 0, opened: false }, 'ticks admit nobody');
  t.equal(await redis.zcard(keys('q').active), 0);
  t.match(await room.status('q', refOf('fan-3', joined[3]!)), { queueStatus: 'LOBBY', position: null });
  const again = await room.join('q', 'fan-3');
  t.match(again, { isNew: false, tokenId: joined[3]!.tokenId }, 'joining again gives the same token');
});

t.test('the opening happens exactly once, whoever runs first, and the line is the drawn order', async (t) => {
  const { waitingRoom: room, room: another, keys, redis } = await roomContext(t);
  const gateways = [room, another()]; // two processes, each with its own cache of the seed
  const opensAtMs = Date.now() + 2000;
  await room.configure('draw', queueSettings({ maxActive: 3, opensAt: new Date(opensAtMs).toISOString() }));

  const lobby = Array.from({ length: 40 }, (_, i) => `lobby-${i}`);
  const joined = new Map(
    await Promise.all(
      lobby.map(async (userId, i) => [userId, (await gateways[i % 2]!.join('draw', userId))!] as const),
    ),
  );
  // Some leave the lobby (one of them comes back), one is revoked: none of them is drawn twice or at all.
  for (const userId of ['lobby-1', 'lobby-2', 'lobby-3']) await room.remove('draw', refOf(userId, joined.get(userId)!));
  t.ok(await room.revoke('draw', 'lobby-4'), 'a lobby token can be revoked');
  joined.set('lobby-3', (await room.join('draw', 'lobby-3'))!);
  t.match((await room.figures('draw'))!, { lobby: 37 });

  await sleep(opensAtMs - Date.now() + 10);
  // Everybody at once: ticks and placements of two processes, and new joiners.
  const late = Array.from({ length: 10 }, (_, i) => `late-${i}`);
  const results = await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => gateways[i % 2]!.tick('draw', { placeBatch: 3 })),
    ...Array.from({ length: 10 }, (_, i) => gateways[i % 2]!.placeLobby('draw', 4)),
    ...late.map((userId, i) => gateways[i % 2]!.join('draw', userId)),
  ]);
  const lateJoins = results.slice(20) as Awaited<ReturnType<typeof room.join>>[];
  while ((await room.placeLobby('draw', 5)).remaining > 0);

  t.equal((await room.totals('draw')).openings, 1, 'exactly one opening');
  const figures = (await room.figures('draw'))!;
  t.match(figures, { queueStatus: 'OPEN', lobby: 0, active: 3, waiting: 34 + late.length });
  t.match(figures.shuffleSeed, /^[0-9a-f]{64}$/, 'the seed is revealed');
  t.equal(sha256(figures.shuffleSeed!), figures.shuffleCommitment, 'commitment = SHA-256(seed)');
  t.equal(drawCommitment(figures.shuffleSeed!), figures.shuffleCommitment);

  // What anyone can check: the lobby in HMAC order, then later joiners by arrival.
  const gone = new Set(['lobby-1', 'lobby-2', 'lobby-4']);
  const drawn = drawOrder(
    figures.shuffleSeed!,
    lobby.filter((userId) => !gone.has(userId)),
  );
  const arrivals = late
    .map((userId, i) => ({ userId, seq: tokenIdOf(lateJoins[i]!) }))
    .sort((a, b) => a.seq - b.seq)
    .map(({ userId }) => userId);
  const expected = [...drawn, ...arrivals];
  const active = await redis.zrange(keys('draw').active, '0', '-1');
  const waiting = await redis.zrange(keys('draw').waiting, '0', '-1');
  t.same(active.sort(), expected.slice(0, 3).sort(), 'the first three of the draw were admitted');
  t.same(waiting, expected.slice(3), 'everybody else in line in the drawn order, then by arrival');
  const positions = await room.statuses(
    'draw',
    expected.slice(3).map((userId) => refOf(userId, joined.get(userId) ?? lateJoins[late.indexOf(userId)]!)),
  );
  t.same(
    positions.map((p) => p!.position),
    expected.slice(3).map((_, i) => i + 1),
    'and their positions say so',
  );
  t.equal(await room.status('draw', refOf('lobby-1', joined.get('lobby-1')!)), null, 'who left stays gone');
});

t.test('the lobby is placed in bounded steps; meanwhile nobody who came later is admitted', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  const opensAtMs = Date.now() + 1500;
  await room.configure('steps', queueSettings({ maxActive: 100, opensAt: new Date(opensAtMs).toISOString() }));
  const lobby = new Map<string, { tokenId: string; issuedAt: number }>();
  for (let i = 0; i < 50; i++) lobby.set(`fan-${i}`, (await room.join('steps', `fan-${i}`))!);
  await sleep(opensAtMs - Date.now() + 10);

  const late = (await room.join('steps', 'late'))!; // the first script after opensAt: it opens the lobby
  t.equal((await room.totals('steps')).openings, 1, 'a join opened the lobby');
  t.match(
    late,
    { status: 'WAITING', position: 51, queueStatus: 'OPEN' },
    'room for 100, yet behind the 50 of the lobby',
  );
  const lobbyFan = await room.status('steps', refOf('fan-0', lobby.get('fan-0')!));
  t.match(
    lobbyFan,
    { status: 'WAITING', position: null, queueStatus: 'OPEN', activeUntil: null },
    'not placed yet: no position, but the queue is open',
  );
  t.ok(lobbyFan!.etaSeconds! >= 1, 'and a wait estimated from the fans still to be placed');
  t.ok(lobbyFan!.pollAfterSeconds >= 2 && lobbyFan!.pollAfterSeconds <= 6, 'asked to come back in a few seconds');

  const step = await room.placeLobby('steps', 10);
  t.match(step, { placed: 10, remaining: 40, admitted: 10 }, 'ten placed and admitted, no more');
  t.match(await room.status('steps', refOf('late', late)), { status: 'WAITING', position: 41 });
  t.match(await room.tick('steps', { placeBatch: 7, placeBudgetMs: 0 }), { placed: 7 }, 'a tick places a bounded step');
  let rounds = 0;
  while ((await room.placeLobby('steps', 10)).remaining > 0) rounds++;
  t.equal(rounds, 3, 'the rest in three more steps of 10 (and a last one)');
  t.match(await room.status('steps', refOf('late', late)), { status: 'ACTIVE' }, 'once placed, the rest is first come');
  t.match((await room.figures('steps'))!, { active: 51, waiting: 0, lobby: 0 });
});

t.test('the seed: drawn for an opening, never clobbered by restores, revealed at the opening', async (t) => {
  const { waitingRoom: room, redis, prefix } = await roomContext(t);
  const seed = newDrawSeed();
  const opensAtMs = Date.now() + 2000;
  const settings = queueSettings({ maxActive: 2, opensAt: new Date(opensAtMs).toISOString() });
  await room.configure('seed', { ...settings, drawSeed: seed });
  t.equal((await room.figures('seed'))!.shuffleCommitment, sha256(seed), 'the commitment is of the durable seed');
  await room.join('seed', 'ann');

  await room.configure('seed', { ...settings, drawSeed: newDrawSeed() });
  t.equal((await room.figures('seed'))!.shuffleCommitment, sha256(seed), 'another seed never replaces a lobby’s');
  const moved = { ...settings, opensAt: new Date(opensAtMs + 500).toISOString() };
  await room.configure('seed', { ...moved, drawSeed: seed });
  t.match((await room.figures('seed'))!, { shuffleCommitment: sha256(seed), opensAt: moved.opensAt }, 'moved opening');

  // Redis loses everything; the settings come back from PostgreSQL with the same seed.
  const all = await redis.keys(`${prefix}:*`);
  await redis.del(...all);
  await room.configure('seed', { ...moved, drawSeed: seed });
  t.match((await room.figures('seed'))!, { queueStatus: 'LOBBY', shuffleCommitment: sha256(seed), shuffleSeed: null });

  await sleep(opensAtMs + 500 - Date.now() + 10);
  await room.tick('seed');
  t.equal((await room.figures('seed'))!.shuffleSeed, seed, 'revealed at the opening');
  await room.configure('seed', { ...moved, paused: true, drawSeed: seed });
  t.equal((await room.figures('seed'))!.shuffleSeed, seed, 'a settings change after the opening keeps it revealed');

  // Lost again after the opening: the restored queue shows the seed that was drawn with.
  await redis.del(...(await redis.keys(`${prefix}:*`)));
  await room.configure('seed', { ...moved, drawSeed: seed });
  t.match((await room.figures('seed'))!, { queueStatus: 'OPEN', shuffleSeed: seed, shuffleCommitment: sha256(seed) });
});

t.test('a later opening draws again; a process holding the old seed is told and reads the new one', async (t) => {
  const { waitingRoom: room, room: another } = await roomContext(t);
  const other = another();
  let opensAtMs = Date.now() + 1200;
  await room.configure('twice', queueSettings({ maxActive: 1, opensAt: new Date(opensAtMs).toISOString() }));
  await other.join('twice', 'first'); // `other` now holds the first seed
  await sleep(opensAtMs - Date.now() + 10);
  await room.tick('twice');
  const first = (await room.figures('twice'))!.shuffleSeed!;
  t.match(first, /^[0-9a-f]{64}$/);

  opensAtMs = Date.now() + 1500;
  const seed = newDrawSeed();
  await room.configure('twice', {
    ...queueSettings({ maxActive: 1, opensAt: new Date(opensAtMs).toISOString() }),
    drawSeed: seed,
  });
  t.match((await room.figures('twice'))!, { queueStatus: 'LOBBY', shuffleSeed: null, shuffleCommitment: sha256(seed) });
  const second = ['b-1', 'b-2', 'b-3', 'b-4', 'b-5'];
  for (const userId of second) t.match(await other.join('twice', userId), { queueStatus: 'LOBBY', position: null });
  await sleep(opensAtMs - Date.now() + 10);
  await room.tick('twice');
  t.equal((await room.figures('twice'))!.shuffleSeed, seed);
  const order = drawOrder(seed, second);
  const positions = await Promise.all(
    second.map(async (userId) => ({ userId, position: (await other.join('twice', userId))!.position })),
  );
  t.same(
    positions.sort((a, b) => a.position! - b.position!).map((p) => p.userId),
    order,
    'the second lobby follows the second seed',
  );
});

t.test('a new opening asked for while a lobby is being placed starts once it is placed', async (t) => {
  const { waitingRoom: room } = await roomContext(t);
  const opensAtMs = Date.now() + 1200;
  await room.configure('next', queueSettings({ maxActive: 1, opensAt: new Date(opensAtMs).toISOString() }));
  for (let i = 0; i < 20; i++) await room.join('next', `fan-${i}`);
  await sleep(opensAtMs - Date.now() + 10);
  await room.placeLobby('next', 5); // opened, 5 placed, 15 to go
  const seed = newDrawSeed();
  await room.configure('next', {
    ...queueSettings({ maxActive: 1, opensAt: inMs(60_000) }),
    drawSeed: seed,
  });
  const meanwhile = (await room.join('next', 'meanwhile'))!;
  t.match(
    meanwhile,
    { status: 'WAITING', position: 20, queueStatus: 'LOBBY' },
    'behind the old lobby, before the new one',
  );
  while ((await room.placeLobby('next', 5)).remaining > 0);
  const figures = (await room.figures('next'))!;
  t.match(figures, { queueStatus: 'LOBBY', shuffleCommitment: sha256(seed), shuffleSeed: null, waiting: 20 });
  t.match(await room.join('next', 'newcomer'), { position: null, queueStatus: 'LOBBY' }, 'the new lobby takes joiners');
});
