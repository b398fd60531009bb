import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Cluster } from 'ioredis';
import { createRedis, createWaitingRoom, drawOrder, queueKeys } from '../src/index.js';
import { queueSettings } from './settings.js';

const hasRedisServer = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    execFileSync('redis-cli', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** A 3-master Redis Cluster of this test's own, on free ports, removed afterwards. */
async function startCluster(t: Test): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  );
  t.teardown(() => {
    nodes.forEach((node) => node.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  });
  for (const port of ports) {
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  execFileSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { stdio: 'pipe' },
  );
  for (let i = 0; i < 100; i++) {
    if (
      execFileSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], { encoding: 'utf8' }).includes(
        'cluster_state:ok',
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ports.map((p) => `127.0.0.1:${p}`).join(',');
}

t.test(
  'the waiting room on a real Redis Cluster: every script of a queue runs on one node',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const nodes = await startCluster(t);
    const redis = createRedis({ url: 'redis://unused', clusterNodes: nodes });
    t.ok(redis instanceof Cluster, 'REDIS_CLUSTER_NODES gives a cluster client');
    t.teardown(() => redis.disconnect());
    await new Promise((resolve) => redis.once('ready', resolve));
    const room = createWaitingRoom({ redis, prefix: 'wr' });

    // Queues whose hash tags land on different slots (and so, most likely, different nodes).
    const queues = ['alpha', 'bravo', 'charlie', 'delta'];
    const slots = new Set(
      queues.map((q) =>
        Number(
          execFileSync(
            'redis-cli',
            ['-p', nodes.split(',')[0]!.split(':')[1]!, 'cluster', 'keyslot', queueKeys('wr', q).waiting],
            { encoding: 'utf8' },
          ),
        ),
      ),
    );
    t.ok(slots.size > 1, `the queues hash to ${slots.size} different slots`);

    for (const queueId of queues) await room.configure(queueId, queueSettings({ maxActive: 3, activeTtlSeconds: 60 }));
    t.same((await room.queueIds()).sort(), queues.sort(), 'the registry key works alone');

    const joined = await Promise.all(
      queues.flatMap((queueId) =>
        Array.from({ length: 20 }, (_, i) =>
          room.join(queueId, `u-${i}`).then((r) => ({ queueId, userId: `u-${i}`, ...r! })),
        ),
      ),
    );
    for (const queueId of queues) {
      const mine = joined.filter((j) => j.queueId === queueId);
      t.equal(mine.filter((j) => j.status === 'ACTIVE').length, 3, `${queueId}: maxActive admitted at once`);
      t.same(
        mine
          .filter((j) => j.status === 'WAITING')
          .map((j) => j.position)
          .sort((a, b) => a! - b!),
        Array.from({ length: 17 }, (_, i) => i + 1),
        `${queueId}: positions 1..17`,
      );
      t.match(await room.figures(queueId), { waiting: 17, active: 3, maxActive: 3, paused: false });
    }

    const first = joined.find((j) => j.queueId === 'bravo' && j.status === 'ACTIVE')!;
    const ref = { userId: first.userId, tokenId: first.tokenId, issuedAt: first.issuedAt };
    t.match(await room.status('bravo', ref), { status: 'ACTIVE' });
    t.same(await room.remove('bravo', ref), { removed: true, admitted: 1 }, 'leaving hands the slot over at once');
    t.equal(await room.status('bravo', ref), null);
    t.match(await room.tick('charlie'), { admitted: 0, expired: 0 });
    t.equal(await room.sweep('delta', { tokenTtlSeconds: 0 }), 17, 'housekeeping works per queue too');

    // A lobby, its opening and the batched status read, on the cluster too.
    const opensAt = new Date(Date.now() + 1500).toISOString();
    await room.configure('echo', queueSettings({ maxActive: 2, opensAt }));
    const lobby = await Promise.all(Array.from({ length: 10 }, (_, i) => room.join('echo', `l-${i}`)));
    t.ok(
      lobby.every((j) => j!.queueStatus === 'LOBBY' && j!.position === null),
      'joiners wait in the lobby',
    );
    await new Promise((resolve) => setTimeout(resolve, 1600));
    t.match(await room.tick('echo'), { opened: true, placed: 10, admitted: 2 });
    const figures = (await room.figures('echo'))!;
    t.match(figures, { queueStatus: 'OPEN', waiting: 8, active: 2, lobby: 0 });
    const order = drawOrder(
      figures.shuffleSeed!,
      lobby.map((_, i) => `l-${i}`),
    );
    const placements = await room.statuses(
      'echo',
      order.map((userId) => ({ userId, ...lobby[Number(userId.slice(2))]! })),
    );
    t.same(
      placements.map((p) => p!.position),
      [null, null, 1, 2, 3, 4, 5, 6, 7, 8],
      'placed in the drawn order (the first two admitted)',
    );
  },
);
