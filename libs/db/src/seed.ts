import type { Db } from './client.js';
import type { QueueDefaults } from './queue-settings.js';

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

/** DESIGN.md's queue defaults, for a seed run without a configuration at hand (tests). */
export const DEFAULT_QUEUE_SETTINGS: QueueDefaults = {
  maxActive: 100,
  activeTtlSeconds: 600,
  abandonAfterSeconds: 300,
};

/**
 * Demo data, idempotent: the demo concert and its queue (created with `queueDefaults`; an
 * operator's later changes are kept), and as many future dates (50 seats each) as it takes to have
 * three. PostgreSQL only: the waiting room copies the queue into Redis when it first meets it.
 * Safe to run at every start and from several processes at once.
 */
export async function seedDemoData(db: Db, opts: { now?: Date; queueDefaults?: QueueDefaults } = {}) {
  const now = opts.now ?? new Date();
  const defaults = opts.queueDefaults ?? DEFAULT_QUEUE_SETTINGS;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEED_LOCK_ID})`;
    await tx.queue.upsert({
      where: { id: DEMO_CONCERT.queueId },
      create: { id: DEMO_CONCERT.queueId, ...defaults },
      update: {},
    });
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
