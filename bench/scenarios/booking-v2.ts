import { chargePoints, holdSeat, payReservations } from '@concert/booking-domain';
import { load, loop, type Figures } from '../measure.js';
import { bearer, type BenchSystem, type ScenarioReport } from '../system.js';

const RACE_USERS = 1000;
const RACE_SEATS = 50;
/** A stadium's date: best available must cost there what it costs in a small hall. */
const STADIUM_SEATS = 20_000;
/** Requests that warm a route up before it is measured (a cold process is not what runs a sale). */
const WARM_UP = 200;

/**
 * Booking v2, every row against the single-seat hold measured here: a 4-seat hold (each hold a
 * fresh block of a large hall, so every one wins), the best-available race (`quantity: 2`, 1,000
 * fans, one 50-seat date: exactly 25 winners), best available in a small hall and in a stadium's
 * date whose front is sold (every fan wins a pair; the stadium's picks must not cost more), and
 * refunds. Prints a PASS or FAIL line per target.
 */
export async function bookingV2Scenarios(system: BenchSystem): Promise<ScenarioReport> {
  const { db, sql, concert, booking, http, measure, pidsOf, runId } = system;
  /** A fixed number of requests, timed from the first request to the last response (see `load`). */
  const counted = (amount: number, next: Parameters<typeof load>[0]['next'], connections = system.connections) =>
    load({ url: booking, connections, amount, next });
  const holds = system.quick ? 500 : 1500;
  const refunds = system.quick ? 300 : 1000;
  await system.admin(concert.queueId, { maxActive: 1_000_000, activeTtlSeconds: 3600 }); // everyone active at once

  /** A new date of `seats` seats (price 1000 each), far in the future; the first `sold` sold. */
  const hall = async (seats: number, daysAhead: number, sold = 0) => {
    const date = await db.schedule.create({
      data: { concertId: concert.id, startsAt: new Date(Date.now() + daysAhead * 86_400_000) },
    });
    await db.$executeRaw`INSERT INTO seat (id, schedule_id, seat_no, price, status)
      SELECT gen_random_uuid(), ${date.id}::uuid, n, 1000,
             (CASE WHEN n <= ${sold}::int THEN 'SOLD' ELSE 'AVAILABLE' END)::"SeatStatus"
        FROM generate_series(1, ${seats}::int) AS n`;
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
  /** Whether every fan's seats on `scheduleId` are one consecutive pair, and no seat is held twice. */
  const pairsOf = async (scheduleId: string) => {
    const [checked] = await db.$queryRaw<{ fans: number; pairs: number; seats: number; distinct: number }[]>`
      SELECT count(*)::int AS fans, (count(*) FILTER (WHERE n = 2 AND last - first = 1))::int AS pairs,
             coalesce(sum(n), 0)::int AS seats, (SELECT count(DISTINCT seat_id)::int FROM reservation
                                                  WHERE schedule_id = ${scheduleId}::uuid) AS distinct
        FROM (SELECT user_id, count(*) AS n, min(seat_no) AS first, max(seat_no) AS last FROM reservation
               WHERE schedule_id = ${scheduleId}::uuid GROUP BY user_id) f`;
    return { ...checked!, consecutive: checked!.pairs === checked!.fans, once: checked!.distinct === checked!.seats };
  };
  const racePairs = await pairsOf(raceDate.id);
  // The booking group's single-seat race of as many fans, for the note (not a baseline: another group).
  const singleRace = Object.entries(system.results).find(([name]) => name.startsWith('hold race'))?.[1];

  // --- best available where everyone wins a pair: a small hall, then a stadium sold at the front --
  const hallFans = system.quick ? 300 : RACE_USERS;
  const bestIn = async (label: string, date: { id: string }, tag: string) => {
    const fans = await system.joinMany(concert.queueId, hallFans, tag);
    const figures = await measure(`best available, ${label} (${hallFans} fans)`, pidsOf('booking'), () =>
      counted(hallFans, (i) => post(holdPath(date.id), fans[i]!, { quantity: 2 }), 100),
    );
    return { figures, checked: await pairsOf(date.id) };
  };
  const smallHall = await bestIn(`${2 * hallFans}-seat hall`, await hall(2 * hallFans, 96), 'v2-small');
  const stadiumSold = STADIUM_SEATS - 2 * hallFans;
  const stadium = await bestIn(
    `${STADIUM_SEATS.toLocaleString('en')}-seat date, ${stadiumSold.toLocaleString('en')} sold in front`,
    await hall(STADIUM_SEATS, 97, stadiumSold),
    'v2-stadium',
  );

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

  /** What `figures` cost against the single-seat hold: its time per request over the hold's. */
  const cost = (figures: Figures, baseline: Figures = single) => baseline.rps / figures.rps;
  const verdict = (passed: boolean, target: string, measured: string) =>
    `${passed ? 'PASS' : 'FAIL'} ${target}: ${measured}`;
  const raceWinners = Math.floor(RACE_SEATS / 2);
  const fourCost = cost(four);
  const stadiumCost = cost(stadium.figures, smallHall.figures);
  const row = (scenario: string, figures: Figures, target = '') => ({
    scenario,
    figures,
    baseline: single,
    baselineName: 'hold 1 seat',
    target,
  });
  return {
    rows: [
      row('hold 4 seats', four, '≥ 0.67 (cost ≤ 1.5×)'),
      row('best-available race', best, `exactly ${raceWinners} winners`),
      row(`best available, ${2 * hallFans}-seat hall`, smallHall.figures),
      row(`best available, ${STADIUM_SEATS.toLocaleString('en')}-seat date`, stadium.figures, 'as the small hall'),
      row('refund', refund),
    ],
    notes: [
      `hold: ${singleHeld}/${holds} single-seat holds and ${fourHeld / 4}/${holds} 4-seat holds held`,
      `best-available race: ${bestWinners} winners of ${RACE_USERS}, settled in ${best.seconds.toFixed(3)} s` +
        (singleRace ? ` (the single-seat race of 1,000: ${singleRace.seconds.toFixed(3)} s)` : ''),
      `best available: ${cost(smallHall.figures).toFixed(2)}× a single-seat hold in a small hall, ` +
        `${cost(stadium.figures).toFixed(2)}× on a ${STADIUM_SEATS.toLocaleString('en')}-seat date (picks of a date are serialised)`,
      `refund: ${refund.rps.toFixed(0)}/s, ${cost(refund).toFixed(2)}× the cost of a single-seat hold`,
      verdict(
        fourCost <= 1.5 && fourHeld === 4 * holds,
        '4-seat hold ≤ 1.5× a single-seat hold',
        `${fourCost.toFixed(2)}×, ${fourHeld / 4}/${holds} held`,
      ),
      verdict(
        bestWinners === raceWinners && racePairs.consecutive && racePairs.once,
        `quantity race: exactly floor(${RACE_SEATS}/2) = ${raceWinners} winners, in pairs, no seat twice`,
        `${bestWinners} winners, ${racePairs.pairs} consecutive pairs, ${racePairs.distinct}/${racePairs.seats} seats distinct`,
      ),
      verdict(
        stadiumCost <= 1.5 &&
          [smallHall, stadium].every(({ checked }) => checked.fans === hallFans && checked.consecutive && checked.once),
        `best available on a ${STADIUM_SEATS.toLocaleString('en')}-seat date ≤ 1.5× a small hall, every fan a pair`,
        `${stadiumCost.toFixed(2)}×, ${stadium.checked.pairs}/${hallFans} and ${smallHall.checked.pairs}/${hallFans} pairs`,
      ),
    ],
    raw: {
      bookingV2: {
        single: { held: singleHeld, seconds: single.seconds, rps: single.rps },
        four: { held: fourHeld, seconds: four.seconds, rps: four.rps, cost: fourCost },
        bestAvailable: { winners: bestWinners, seconds: best.seconds, ...racePairs },
        smallHall: { rps: smallHall.figures.rps, cost: cost(smallHall.figures), ...smallHall.checked },
        stadium: {
          rps: stadium.figures.rps,
          cost: cost(stadium.figures),
          againstSmallHall: stadiumCost,
          ...stadium.checked,
        },
        refund: { rps: refund.rps, cost: cost(refund) },
      },
    },
  };
}
