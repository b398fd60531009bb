import type { Config } from '@concert/config';
import { connectWaitingRoom } from '@concert/queue';
import { createPrismaClient } from './client.js';
import type { Db } from './client.js';

export const DEMO_CONCERT = { title: 'The Waiting Room World Tour', queueId: 'demo-tour' } as const;
export const DEMO_SEATS_PER_SCHEDULE = 50;
const DEMO_SCHEDULE_COUNT = 3;
const DAY_MS = 86_400_000;
const SEED_LOCK_ID = 7_240_112_027;

/** Price tiers of the demo hall, in points: front rows cost more. */
function demoSeatPrice(seatNo: number): number {
  if (seatNo <= 10) return 150_000;
  if (seatNo <= 30) return 120_000;
  return 90_000;
}

/**
 * Demo data, idempotent: the demo concert, and as many future dates (50 seats each) as it takes
 * to have three. Safe to run at every start and from several processes at once.
 */
export async function seedDemoData(db: Db, now = new Date()) {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEED_LOCK_ID})`;
    const concert = await tx.concert.upsert({
      where: { queueId: DEMO_CONCERT.queueId },
      create: DEMO_CONCERT,
      update: {},
    });
    const future = await tx.schedule.count({ where: { concertId: concert.id, startsAt: { gt: now } } });
    const created: Date[] = [];
    for (let i = future; i < DEMO_SCHEDULE_COUNT; i++) {
      const day = new Date(now.getTime() + (30 + i) * DAY_MS);
      day.setUTCHours(19, 0, 0, 0);
      await tx.schedule.create({
        data: {
          concertId: concert.id,
          startsAt: day,
          seats: {
            create: Array.from({ length: DEMO_SEATS_PER_SCHEDULE }, (_, index) => ({
              seatNo: index + 1,
              price: demoSeatPrice(index + 1),
            })),
          },
        },
      });
      created.push(day);
    }
    return { concert, createdSchedules: created };
  });
}

/**
 * The demo data and its queue: seeds PostgreSQL, then registers the concert's queue in Redis
 * (the gateway only knows registered queues) unless it is already there, keeping an operator's
 * later changes. What `npm run db:seed` and `npm start` run.
 */
export async function seedDemoSystem(config: Config) {
  const db = createPrismaClient(config.DATABASE_URL, { poolSize: 2 });
  const { redis, waitingRoom } = connectWaitingRoom(config);
  try {
    const { concert, createdSchedules } = await seedDemoData(db);
    // Creates the queue if missing; an operator's later settings are kept.
    const { created: registered } = await waitingRoom.configure(concert.queueId, {});
    return { concert, createdSchedules, registered };
  } finally {
    await db.$disconnect();
    redis.disconnect();
  }
}
