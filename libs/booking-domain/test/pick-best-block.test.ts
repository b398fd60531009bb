import { randomUUID } from 'node:crypto';
import t from 'tap';
import { rows, type Sql } from '@concert/db';
import { setupTestContext } from '@concert/testing';

// Best available's pick is the SQL function booking_pick_block over a date's seats (the holds
// call it under the date's lock); these tests give it dates whose seats are in known states.

type SeatState = 'AVAILABLE' | 'SOLD' | 'HELD' | 'LAPSED';
type SeatSpec = { seatNo: number; price: number; state: SeatState };

const context = await setupTestContext(t, { database: true });
const sql = context.sql as Sql;
const [concert] = await rows<{ id: string }>(
  sql,
  `WITH q AS (INSERT INTO queue (id, max_active, active_ttl_seconds, abandon_after_seconds)
              VALUES ('pick-tests', 10, 60, 300) RETURNING id)
   INSERT INTO concert (id, title, queue_id) SELECT gen_random_uuid(), 'Picks', id FROM q RETURNING id`,
);
const concertId = concert!.id;

/** A future date of its own with exactly these seats. */
async function dateWith(seats: SeatSpec[]): Promise<string> {
  const scheduleId = randomUUID();
  await sql.query(`INSERT INTO schedule (id, concert_id, starts_at) VALUES ($1, $2, now() + interval '30 days')`, [
    scheduleId,
    concertId,
  ]);
  await sql.query(
    `INSERT INTO seat (id, schedule_id, seat_no, price, status, hold_expires_at)
     SELECT gen_random_uuid(), $1, n, p,
            (CASE WHEN st = 'LAPSED' THEN 'HELD' ELSE st END)::"SeatStatus",
            CASE st WHEN 'HELD' THEN now() + interval '1 hour' WHEN 'LAPSED' THEN now() - interval '1 second' END
       FROM unnest($2::int[], $3::int[], $4::text[]) AS u(n, p, st)`,
    [scheduleId, seats.map((s) => s.seatNo), seats.map((s) => s.price), seats.map((s) => s.state)],
  );
  return scheduleId;
}

/**
 * A date from a map of one row: `.` free, `$` free but dear (price 500), `x` sold, `h` held,
 * `l` held but lapsed (free), `_` no such seat number.
 */
const rowOf = (map: string): SeatSpec[] =>
  [...map].flatMap((mark, i): SeatSpec[] =>
    mark === '_'
      ? []
      : [
          {
            seatNo: i + 1,
            price: mark === '$' ? 500 : 100,
            state: ({ x: 'SOLD', h: 'HELD', l: 'LAPSED' } as const)[mark as 'x' | 'h' | 'l'] ?? 'AVAILABLE',
          },
        ],
  );

async function pick(scheduleId: string, quantity: number, maxPrice?: number): Promise<number[] | null> {
  const [picked] = await rows<{ pick: number[] | null }>(sql, 'SELECT booking_pick_block($1, $2, $3) AS pick', [
    scheduleId,
    quantity,
    maxPrice ?? null,
  ]);
  return picked!.pick;
}

const pickIn = async (map: string, quantity: number, maxPrice?: number) =>
  pick(await dateWith(rowOf(map)), quantity, maxPrice);

t.test('the lowest block that strands no single seat', async (t) => {
  t.same(await pickIn('..........', 2), [1, 2], 'an empty row: from the front');
  t.same(await pickIn('...x......', 2), [5, 6], '1–2 or 2–3 would strand a seat of the first run of 3');
  t.same(await pickIn('...x....', 2), [5, 6], 'a run of 4 takes two pairs cleanly');
  t.same(await pickIn('x..x.....', 2), [2, 3], 'a run of exactly 2 is perfect');
  t.same(await pickIn('.....', 3), [1, 2, 3], 'leaving 2 is fine');
  t.same(await pickIn('....', 3), [1, 2, 3], 'nothing better: the lowest block, stranding one');
  t.same(await pickIn('x...x.x...', 1), [2], 'one seat from a run of 3: an end, leaving a pair');
  t.same(await pickIn('x..x.x...', 1), [5], 'a lone seat is the perfect single');
  t.same(await pickIn('.xx.x', 1), [1], 'lone seats at both ends of the row');
});

t.test('taken means sold or held by a live hold; a lapsed hold is free', async (t) => {
  t.same(await pickIn('x.h....', 2), [4, 5], 'a held seat splits a run as a sold one does');
  t.same(await pickIn('ll..h...', 2), [1, 2], 'lapsed holds are free seats');
  t.same(await pickIn('xxxxxxxl.', 2), [8, 9]);
  t.equal(await pickIn('xhxhxh', 1), null, 'nothing free');
});

t.test('runs end at taken seats and at seat numbers that do not exist', async (t) => {
  const gapped = await dateWith([1, 2, 3, 10, 11].map((seatNo) => ({ seatNo, price: 100, state: 'AVAILABLE' })));
  t.same(await pick(gapped, 2), [10, 11], '1..3 then a gap: 10–11 strands nothing');
  t.same(await pick(gapped, 3), [1, 2, 3]);
  t.equal(await pick(gapped, 4), null, 'no 4 consecutive seats');
  t.same(await pickIn('.._..', 2), [1, 2], 'a missing seat number ends a run');
  t.equal(await pick(await dateWith([]), 1), null, 'a date without seats');
});

t.test('maxPrice: every seat of the block at most that, dear seats still count as neighbours', async (t) => {
  t.same(await pickIn('$$......', 2, 100), [3, 4], 'dear seats are skipped, not stranded');
  t.same(await pickIn('$.....', 2, 100), [3, 4], '2–3 would strand seat 1 (free, if dear)');
  t.equal(await pickIn('$.$.$.', 2, 100), null, 'no two cheap seats together');
  t.same(await pickIn('$.$.$.', 2), [1, 2], 'without a cap the dear ones will do');
  t.same(await pickIn('..$$', 2, 500), [1, 2]);
  t.same(await pickIn('.$..x', 2, 100), [3, 4], 'the only cheap pair: it strands nothing (seat 2 has seat 1)');
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function randomFrom(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const seatIndexes = new WeakMap<SeatSpec[], Map<number, SeatSpec>>();
/** The model's seats by number (built once per model: its seats change state in place). */
function seatIndex(seats: SeatSpec[]) {
  if (!seatIndexes.has(seats)) seatIndexes.set(seats, new Map(seats.map((seat) => [seat.seatNo, seat])));
  return seatIndexes.get(seats)!;
}

/**
 * The rule as DESIGN.md words it, walked seat by seat over a model of the date (`seats` in seat
 * order): among the blocks of `quantity` consecutive free seats (all within `maxPrice`), the
 * lowest that leaves no free seat alone between taken ones or a row's end, else the lowest.
 */
function modelPick(seats: SeatSpec[], quantity: number, maxPrice?: number): number[] | null {
  const bySeatNo = seatIndex(seats);
  const isFree = (seatNo: number) => ['AVAILABLE', 'LAPSED'].includes(bySeatNo.get(seatNo)?.state ?? 'SOLD');
  const affordable = (seatNo: number) => maxPrice === undefined || bySeatNo.get(seatNo)!.price <= maxPrice;
  let fallback: number[] | null = null;
  for (const { seatNo: first } of seats) {
    const block = Array.from({ length: quantity }, (_, i) => first + i);
    if (!block.every((seatNo) => isFree(seatNo) && affordable(seatNo))) continue;
    const last = first + quantity - 1;
    const strands = (isFree(first - 1) && !isFree(first - 2)) || (isFree(last + 1) && !isFree(last + 2));
    if (!strands) return block;
    fallback ??= block;
  }
  return fallback;
}

const STADIUM = 20_000;

t.test(`a ${STADIUM.toLocaleString('en')}-seat date: every pick as the rule says, seat after seat`, async (t) => {
  const random = randomFrom(12);
  const states: SeatState[] = ['AVAILABLE', 'SOLD', 'HELD', 'LAPSED'];
  // Runs of one state (1–12 seats), a fifth of the seats dear: many islands of every length.
  const seats: SeatSpec[] = [];
  while (seats.length < STADIUM) {
    const state = states[Math.floor(random() * states.length)]!;
    const length = 1 + Math.floor(random() * 12);
    for (let i = 0; i < length && seats.length < STADIUM; i++) {
      seats.push({ seatNo: seats.length + 1, price: random() < 0.2 ? 500 : 100, state });
    }
  }
  const scheduleId = await dateWith(seats);

  for (const quantity of [1, 2, 3, 4]) {
    for (const maxPrice of [undefined, 100]) {
      t.same(
        await pick(scheduleId, quantity, maxPrice),
        modelPick(seats, quantity, maxPrice),
        `${quantity} ≤ ${maxPrice}`,
      );
    }
  }

  // Then 400 holds in a row, as a rush makes them: each pick taken (sold), the next one asked.
  const mismatches: string[] = [];
  for (let i = 0; i < 400; i++) {
    const quantity = 1 + (i % 4);
    const maxPrice = i % 5 === 0 ? 100 : undefined;
    const expected = modelPick(seats, quantity, maxPrice);
    const picked = await pick(scheduleId, quantity, maxPrice);
    if (JSON.stringify(picked) !== JSON.stringify(expected)) {
      mismatches.push(`#${i} ${quantity}: ${JSON.stringify(picked)} ≠ ${JSON.stringify(expected)}`);
    }
    if (!expected) continue;
    for (const seatNo of expected) seats[seatNo - 1]!.state = 'SOLD';
    await sql.query(`UPDATE seat SET status = 'SOLD' WHERE schedule_id = $1 AND seat_no = ANY ($2::int[])`, [
      scheduleId,
      expected,
    ]);
  }
  t.same(mismatches, [], '400 picks in a row, each the block the rule gives');
});

/**
 * A pick, and how many of the seat table's rows it read: the backend's own counters before and
 * after (PostgreSQL 15 keeps a backend's counts of earlier transactions there until it flushes
 * them, so the counters alone would also count what the connection read before).
 */
async function pickCounted(scheduleId: string, quantity: number) {
  const client = await sql.connect();
  const seatRowsRead = async () =>
    (
      await client.query(
        `SELECT (seq_tup_read + coalesce(idx_tup_fetch, 0))::int AS read FROM pg_stat_xact_user_tables WHERE relname = 'seat'`,
      )
    ).rows[0].read as number;
  try {
    await client.query('BEGIN');
    const before = await seatRowsRead();
    const [{ pick }] = (await client.query('SELECT booking_pick_block($1, $2, NULL) AS pick', [scheduleId, quantity]))
      .rows;
    const read = (await seatRowsRead()) - before;
    return { pick: pick as number[] | null, read };
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

t.test('a pick reads the seats up to the block it takes, not the date', async (t) => {
  // 19,000 seats sold, then 1,000 free, never analysed (the estimates are a guess): the pick reads
  // none of the sold seats and stops at its block.
  const frontSold = await dateWith(
    Array.from({ length: STADIUM }, (_, i) => ({
      seatNo: i + 1,
      price: 100,
      state: i < 19_000 ? 'SOLD' : 'AVAILABLE',
    })),
  );
  const first = await pickCounted(frontSold, 2);
  t.same(first.pick, [19_001, 19_002]);
  t.ok(first.read > 0 && first.read <= 10, `${first.read} seat rows read for a pair behind 19,000 sold seats`);

  // Every free run strands a seat (runs of 3, for pairs): the pick must read them all to know it,
  // then takes the lowest block.
  const allStranding = await dateWith(
    Array.from({ length: 4_000 }, (_, i) => ({ seatNo: i + 1, price: 100, state: i % 4 === 3 ? 'SOLD' : 'AVAILABLE' })),
  );
  const fallback = await pickCounted(allStranding, 2);
  t.same(fallback.pick, [1, 2], 'no block strands nothing: the lowest block');
  t.ok(
    fallback.read >= 3_000 && fallback.read <= 3_010,
    `${fallback.read} rows: the 3,000 free seats once, then a few`,
  );
});
