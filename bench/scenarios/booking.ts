import pg from 'pg';
import { chargePoints, holdSeat } from '@concert/booking-domain';
import { load, loop, type Figures } from '../measure.js';
import { bearer, type BenchSystem, type ScenarioReport } from '../system.js';

const RACE_USERS = 1000;
const WARM_PAYMENTS = 300;

/** Seat listing, the hold race against the same SQL through pg, and payments. */
export async function bookingScenarios(system: BenchSystem): Promise<ScenarioReport> {
  const { db, sql, concert, schedules, booking, http, measure, pidsOf } = system;
  const payments = system.quick ? 500 : 2000;
  await system.admin(concert.queueId, { maxActive: 1_000_000, activeTtlSeconds: 3600 }); // everyone active at once
  const bare = system.results['baseline: bare Fastify route']!;

  const browsers = await system.joinMany(concert.queueId, 100, 'browse');
  const seatsPath = `/concerts/${concert.id}/schedules/${schedules[0]!.id}/seats`;
  const browse = (i: number) => ({ path: seatsPath, headers: bearer(browsers[i % browsers.length]!) });
  await http(booking, browse, { durationSeconds: 1 });
  const seats = await measure('seat listing (50 seats)', pidsOf('booking'), () => http(booking, browse));

  // --- the hold race: 1,000 users, the 50 seats of one date ----------------------------------
  /** Holds taken on a date: after a race, its winners (never more than its 50 seats). */
  const winnersOn = (scheduleId: string) => db.reservation.count({ where: { scheduleId } });
  const settledOn = (scheduleId: string) => async (figures: Figures) =>
    `${await winnersOn(scheduleId)} winners, settled in ${figures.seconds.toFixed(3)} s`;
  const racers = await system.joinMany(concert.queueId, RACE_USERS, 'race');
  const raceSchedule = schedules[1]!;
  // Warm-up, as every scenario gets: the race alone is too short for V8 to optimise the hold route
  // (its 1,000 requests would run mostly unoptimised). Another date, tokens booking never saw.
  const warmers = await system.joinMany(concert.queueId, RACE_USERS, 'race-warm');
  const warmDate = await db.schedule.create({
    data: { concertId: concert.id, startsAt: new Date(Date.now() + 89 * 86_400_000) },
  });
  await db.$executeRaw`INSERT INTO seat (id, schedule_id, seat_no, price)
    SELECT gen_random_uuid(), ${warmDate.id}::uuid, n, 1000 FROM generate_series(1, 50) AS n`;
  await http(
    booking,
    (i) => ({
      method: 'POST',
      path: `/concerts/${concert.id}/schedules/${warmDate.id}/reservations`,
      headers: { ...bearer(warmers[i % RACE_USERS]!), 'content-type': 'application/json' },
      body: JSON.stringify({ seatNo: (i % 50) + 1 }),
    }),
    { connections: 100, amount: 2 * RACE_USERS },
  );
  const race = await measure(
    `hold race (${RACE_USERS} users, 50 seats)`,
    pidsOf('booking'),
    () =>
      load({
        url: booking,
        connections: 100,
        amount: RACE_USERS,
        next: (i) => ({
          method: 'POST',
          path: `/concerts/${concert.id}/schedules/${raceSchedule.id}/reservations`,
          headers: { ...bearer(racers[i]!), 'content-type': 'application/json' },
          body: JSON.stringify({ seatNo: (i % 50) + 1 }),
        }),
      }),
    settledOn(raceSchedule.id),
  );
  const raceWinners = await winnersOn(raceSchedule.id);

  // Baseline: the same transaction (advisory lock + conditional UPDATE + INSERT) through pg directly.
  const pool = new pg.Pool({ connectionString: system.databaseUrl, max: 20 });
  const pgSchedule = schedules[2]!;
  /** The baseline's transaction for fan `userId` and seat `seatNo` of `scheduleId`. */
  const pgHold = async (userId: string, scheduleId: string, seatNo: number) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(1, hashtext($1))', [userId]);
      await client.query(
        `WITH live_holds AS (SELECT count(*) AS n FROM reservation WHERE user_id = $1 AND status = 'HELD' AND expires_at > now()),
         taken AS (
           UPDATE seat s SET status = 'HELD', reservation_id = gen_random_uuid(), hold_expires_at = now() + interval '300 seconds'
             FROM schedule sc
            WHERE s.schedule_id = $2 AND s.seat_no = $3 AND sc.id = s.schedule_id AND sc.concert_id = $4 AND sc.starts_at > now()
              AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.hold_expires_at <= now()))
              AND (SELECT n FROM live_holds) < 4
           RETURNING s.id, s.price, s.hold_expires_at, s.reservation_id)
         INSERT INTO reservation (id, user_id, concert_id, schedule_id, seat_id, seat_no, price, status, expires_at)
         SELECT taken.reservation_id, $1, $4, $2, taken.id, $3, taken.price, 'HELD', taken.hold_expires_at FROM taken`,
        [userId, scheduleId, seatNo, concert.id],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  // Warmed up as the HTTP race is (on the warm-up date, whose seats the warm-up took).
  await loop({
    concurrency: 100,
    amount: RACE_USERS,
    operation: (i) => pgHold(`pg-warm-${i}`, warmDate.id, (i % 50) + 1),
  });
  const pgRace = await measure(
    `baseline: hold SQL via pg (${RACE_USERS})`,
    [],
    () =>
      loop({
        concurrency: 100,
        amount: RACE_USERS,
        operation: (i) => pgHold(`pg-${i}`, pgSchedule.id, (i % 50) + 1),
      }),
    settledOn(pgSchedule.id),
  );
  await pool.end();

  // --- payments: each payer has a live hold and enough points --------------------------------
  // A large hall: one hold per payer.
  const hall = await db.schedule.create({
    data: { concertId: concert.id, startsAt: new Date(Date.now() + 90 * 86_400_000) },
  });
  await db.$executeRaw`INSERT INTO seat (id, schedule_id, seat_no, price)
    SELECT gen_random_uuid(), ${hall.id}::uuid, n, 1000 FROM generate_series(1, ${payments + WARM_PAYMENTS}::int) AS n`;
  // The first WARM_PAYMENTS payers warm the payment route up; the rest are measured.
  const payers = await system.joinMany(concert.queueId, payments + WARM_PAYMENTS, 'pay');
  const reservations: string[] = new Array(payments + WARM_PAYMENTS);
  await loop({
    concurrency: 20,
    amount: payments + WARM_PAYMENTS,
    operation: async (i) => {
      const userId = `pay-${system.runId}-${i}`;
      await chargePoints({ sql, userId, amount: 10_000, maxBalance: 100_000_000 });
      const held = await holdSeat({
        sql,
        userId,
        concertId: concert.id,
        scheduleId: hall.id,
        seatNo: i + 1,
        holdSeconds: 3600,
        maxHolds: 4,
      });
      reservations[i] = held.reservationId;
    },
  });
  const payRequest = (offset: number) => (i: number) => ({
    method: 'POST',
    path: '/payments',
    headers: { ...bearer(payers[offset + i]!), 'content-type': 'application/json' },
    body: JSON.stringify({ reservationId: reservations[offset + i] }),
  });
  await http(booking, payRequest(0), { amount: WARM_PAYMENTS });
  const payment = await measure(
    `payment (${payments} payers)`,
    pidsOf('booking'),
    () => load({ url: booking, connections: system.connections, amount: payments, next: payRequest(WARM_PAYMENTS) }),
    async () => `${(await db.payment.count()) - WARM_PAYMENTS} payments recorded`,
  );

  return {
    rows: [
      { scenario: 'seat listing', figures: seats, baseline: bare, baselineName: 'bare route', target: '' },
      {
        scenario: 'hold race',
        figures: race,
        baseline: pgRace,
        baselineName: 'hold SQL via pg',
        target: 'settle ≤ 1.3× pg, 50 winners',
      },
      { scenario: 'payment', figures: payment, baseline: bare, baselineName: 'bare route', target: '≥ 1,000 /s' },
    ],
    notes: [
      `hold race: ${raceWinners} winners of ${RACE_USERS}, settled in ${race.seconds.toFixed(3)} s over HTTP vs ` +
        `${pgRace.seconds.toFixed(3)} s through pg directly (${(race.seconds / pgRace.seconds).toFixed(2)}×)`,
    ],
    raw: {
      race: {
        winners: raceWinners,
        seconds: race.seconds,
        pgWinners: await winnersOn(pgSchedule.id),
        pgSeconds: pgRace.seconds,
      },
    },
  };
}
