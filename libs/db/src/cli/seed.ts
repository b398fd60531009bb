import { loadConfigOrExit } from '@concert/config';
import { createRedis, createWaitingRoom } from '@concert/queue';
import { createPrismaClient } from '../client.js';
import { seedDemoData, DEMO_CONCERT } from '../seed.js';

const config = loadConfigOrExit();
const db = createPrismaClient(config.DATABASE_URL, { poolSize: 2 });
const redis = createRedis(config.REDIS_URL);
try {
  const { concert, createdSchedules } = await seedDemoData(db);
  // The gateway only knows queues registered in Redis; keep an operator's later changes.
  const waitingRoom = createWaitingRoom({
    redis,
    prefix: config.REDIS_PREFIX,
    defaults: { maxActive: config.QUEUE_DEFAULT_MAX_ACTIVE, activeTtlSeconds: config.QUEUE_DEFAULT_ACTIVE_TTL_SECONDS },
  });
  const registered = await waitingRoom.ensure(DEMO_CONCERT.queueId);
  console.log(
    `seeded concert "${concert.title}" (queue ${concert.queueId}): ${createdSchedules.length} new date(s)` +
      (registered ? ', queue registered' : ', queue already registered'),
  );
} finally {
  await db.$disconnect();
  redis.disconnect();
}
