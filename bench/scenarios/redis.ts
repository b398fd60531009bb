import type { TokenRef } from '@concert/queue';
import { loop } from '../measure.js';
import type { BenchSystem, ScenarioReport } from '../system.js';

const MEMORY_USERS = 100_000;

/** The scripts behind join and poll called directly (the baselines of join and poll), and Redis memory per waiting fan. */
export async function redisScenarios(system: BenchSystem): Promise<ScenarioReport> {
  const { room, redis, measure, seconds, connections, results } = system;
  await system.admin('bench-raw', { paused: true });
  const rawRefs: TokenRef[] = [];
  const joinScript = await measure('baseline: join script direct', [], () =>
    loop({
      concurrency: connections,
      seconds,
      operation: async (i) => {
        const joined = await room.join('bench-raw', `raw-${i}`);
        rawRefs[i] = { userId: `raw-${i}`, tokenId: joined!.tokenId, issuedAt: joined!.issuedAt };
      },
    }),
  );
  const statusScript = await measure('baseline: status script direct', [], () =>
    loop({
      concurrency: connections,
      seconds,
      operation: (i) => room.status('bench-raw', rawRefs[i % rawRefs.length]!),
    }),
  );

  await system.admin('bench-memory', { paused: true });
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const before = await usedMemory();
  await loop({
    concurrency: 500,
    amount: MEMORY_USERS,
    operation: (i) => room.join('bench-memory', `user-${String(i).padStart(7, '0')}`),
  });
  const bytesPerWaitingUser = ((await usedMemory()) - before) / MEMORY_USERS;

  const join = Object.entries(results).find(([name]) => name.startsWith('join'))?.[1];
  const poll = Object.entries(results).find(([name]) => name.startsWith('poll'))?.[1];
  return {
    rows: [
      ...(join
        ? [{ scenario: 'join', figures: join, baseline: joinScript, baselineName: 'join script direct', target: '' }]
        : []),
      ...(poll
        ? [
            {
              scenario: 'poll',
              figures: poll,
              baseline: statusScript,
              baselineName: 'status script direct',
              target: '',
            },
          ]
        : []),
    ],
    notes: [
      `Redis memory per waiting user: ${bytesPerWaitingUser.toFixed(0)} bytes (${MEMORY_USERS} users; target ≤ 200)`,
    ],
    raw: { memory: { users: MEMORY_USERS, bytesPerWaitingUser } },
  };
}
