import { chargePoints, holdSeat, payReservations } from '@concert/booking-domain';
import { load, loop, type Figures } from '../measure.js';
import { bearer, type BenchSystem, type ScenarioReport } from '../system.js';

const RACE_USERS = 1000;
const RACE_SEATS = 50;
/** Requests that warm a route up before it is measured (a cold process is not what runs a sale). */
const WARM_UP = 200;

/**
 * Booking v2: a 4-seat hold against the single-seat hold (each hold a fresh block of a large hall,
 * so every one wins), the best-available race (`quantity: 2`, 1,000 fans, one 50-seat date: exactly
 * 25 winners) against the single-seat race of the booking group, and refunds.
 */
export async function bookingV2Scenarios(system: BenchSystem): Promise<ScenarioReport> {
  const { db, sql, concert, booking, http, measure, pidsOf, runId } = system;
  /** A fixed number of requests, timed from the first request to the last response (see `load`). */
  const counted = (amount: number, next: Parameters<typeof load>[0]['next'], connections = system.connections) =>
    load({ url: booking, connections, amount, next });
  const holds = system.quick ? 500 : 1500;
  const refunds = system.quick ? 300 : 1000;
  await system.admin(concert.queueId, { maxActive: 1_000_000, activeTtlSeconds: 3600 }); // everyone active at once

  /** A new date of `seats` seats (price 1000 each), far in the future. */
  const hall = async (seats: number, daysAhead: number) => {
    const date = await db.schedule.create({
      data: { concertId: concert.id, startsAt: new Date(Date.now() + daysAhead * 86_400_000) },
    });
    await db.$executeRaw`INSERT INTO seat (id, schedule_id, seat_no, price)
      SELECT gen_random_uuid(), ${date.id}::uuid, n, 1000 FROM generate_series(1, ${seats}::int) AS n`;
    return date;
  };
  const holdPath = (scheduleId: string) => `/concerts/${concert.id}/schedules/${scheduleId}/reservations`;
  const post = (path: string, token: string, body: unknown) => ({
    method: 'POST',
    path,
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  // --- 1 seat vs 4 seats per hold: every hold a winner -----------------------------------------
  const singleHall = await hall(holds, 91);
  const singleFans = await system.joinMany(concert.queueId, holds, 'v2-one');
  const single = await measure(`hold 1 seat (${holds} holds)`, pidsOf('booking'), () =>
    counted(holds, (i) => post(holdPath(singleHall.id), singleFans[i]!, { seatNo: i + 1 })),
  );
  const fourHall = await hall(holds * 4, 92);
  const fourFans = await system.joinMany(concert.queueId, holds, 'v2-four');
  const four = await measure(`hold 4 seats (${holds} holds)`, pidsOf('booking'), () =>
    counted(holds, (i) => post(holdPath(fourHall.id), fourFans[i]!, { seatNos: [1, 2, 3, 4].map((n) => 4 * i + n) })),
  );
  const heldOn = (scheduleId: string) => db.reservation.count({ where: { scheduleId, status: 'HELD' } });
  const [singleHeld, fourHeld] = [await heldOn(singleHall.id), await heldOn(fourHall.id)];

  // --- best available: 1,000 fans, quantity 2, one date of 50 seats ----------------------------
  // Warm-up of the best-available path (another date, other fans), then the race.
  const warmDate = await hall(RACE_SEATS, 95);
  const warmers = await system.joinMany(concert.queueId, WARM_UP, 'v2-warm');
  await http(booking, (i) => post(holdPath(warmDate.id), warmers[i]!, { quantity: 2 }), {
    connections: 100,
    amount: WARM_UP,
  });
  const raceDate = await hall(RACE_SEATS, 93);
  const racers = await system.joinMany(concert.queueId, RACE_USERS, 'v2-best');
  const winners = async () =>
    (
      await db.reservation.groupBy({ by: ['userId'], where: { scheduleId: raceDate.id }, _count: { _all: true } })
    ).filter((group) => group._count._all === 2).length;
  const best = await measure(
    `best-available race (${RACE_USERS} users, quantity 2)`,
    pidsOf('booking'),
    () => counted(RACE_USERS, (i) => post(holdPath(raceDate.id), racers[i]!, { quantity: 2 }), 100),
    async (figures: Figures) => `${await winners()} winners, settled in ${figures.seconds.toFixed(3)} s`,
  );
  const bestWinners = await winners();
  const pairs = await db.$queryRaw<{ consecutive: boolean }[]>`
    SELECT max(seat_no) - min(seat_no) = 1 AS consecutive FROM reservation
     WHERE schedule_id = ${raceDate.id}::uuid GROUP BY user_id`;
  const singleRace = Object.entries(system.results).find(([name]) => name.startsWith('hold race'))?.[1];

  // --- refunds: each payer holds and pays one seat (set-up), then refunds over HTTP ------------
  // The first WARM_UP payments warm the refund route up; the rest are measured.
  const refundHall = await hall(refunds + WARM_UP, 94);
  const payments: string[] = new Array(refunds + WARM_UP);
  const refunders: string[] = new Array(refunds + WARM_UP);
  await loop({
    concurrency: 20,
    amount: refunds + WARM_UP,
    operation: async (i) => {
      const userId = `v2-refund-${runId}-${i}`;
      await chargePoints({ sql, userId, amount: 10_000, maxBalance: 100_000_000 });
      const held = await holdSeat({
        sql,
        userId,
        concertId: concert.id,
        scheduleId: refundHall.id,
        seatNo: i + 1,
        holdSeconds: 3600,
        maxHolds: 4,
      });
      const paid = await payReservations({
        sql,
        userId,
        queueId: concert.queueId,
        reservationIds: [held.reservationId],
      });
      payments[i] = paid.body.paymentId;
      refunders[i] = await system.identityToken(userId);
    },
  });
  const refundRequest = (offset: number) => (i: number) => ({
    method: 'POST',
    path: `/payments/${payments[offset + i]}/refund`,
    headers: bearer(refunders[offset + i]!),
  });
  await http(booking, refundRequest(0), { amount: WARM_UP });
  const refund = await measure(
    `refund (${refunds} payments)`,
    pidsOf('booking'),
    () => counted(refunds, refundRequest(WARM_UP)),
    async () => `${(await db.payment.count({ where: { status: 'REFUNDED' } })) - WARM_UP} payments refunded`,
  );

  const cost = (figures: Figures) => (single.rps / figures.rps).toFixed(2);
  return {
    rows: [
      {
        scenario: 'hold 4 seats',
        figures: four,
        baseline: single,
        baselineName: 'hold 1 seat',
        target: '≥ 0.67 (cost ≤ 1.5×)',
      },
      ...(singleRace
        ? [
            {
              scenario: 'best-available race',
              figures: best,
              baseline: singleRace,
              baselineName: 'single-seat race',
              target: `exactly ${Math.floor(RACE_SEATS / 2)} winners`,
            },
          ]
        : []),
      { scenario: 'refund', figures: refund, baseline: single, baselineName: 'hold 1 seat', target: '' },
    ],
    notes: [
      `hold: ${singleHeld}/${holds} single-seat holds and ${fourHeld / 4}/${holds} 4-seat holds held; ` +
        `a 4-seat hold costs ${cost(four)}× a single-seat one (target ≤ 1.5×)`,
      `best-available race: ${bestWinners} winners of ${RACE_USERS} (expected ${Math.floor(RACE_SEATS / 2)}), ` +
        `${pairs.every((pair) => pair.consecutive) ? 'every pair consecutive' : 'NOT every pair consecutive'}, ` +
        `settled in ${best.seconds.toFixed(3)} s` +
        (singleRace ? ` (the single-seat race of 1,000: ${singleRace.seconds.toFixed(3)} s)` : ''),
      `refund: ${refund.rps.toFixed(0)}/s, ${cost(refund)}× the cost of a single-seat hold`,
    ],
    raw: {
      bookingV2: {
        single: { held: singleHeld, seconds: single.seconds, rps: single.rps },
        four: { held: fourHeld, seconds: four.seconds, rps: four.rps },
        bestAvailable: { winners: bestWinners, seconds: best.seconds },
        refund: { rps: refund.rps },
      },
    },
  };
}
