import { loadConfigOrExit } from '@concert/config';
import { createPrismaClient } from '../client.js';
import { queueDefaultsOf } from '../queue-settings.js';
import { seedDemoData } from '../seed.js';

const config = loadConfigOrExit();
const db = createPrismaClient(config.DATABASE_URL, { poolSize: 2 });
try {
  const { concert, createdSchedules } = await seedDemoData(db, { queueDefaults: queueDefaultsOf(config) });
  console.log(`seeded concert "${concert.title}" (queue ${concert.queueId}): ${createdSchedules.length} new date(s)`);
} finally {
  await db.$disconnect();
}
