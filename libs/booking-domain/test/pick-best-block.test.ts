import t from 'tap';
import { rows, type Sql } from '@concert/db';
import { setupTestContext } from '@concert/testing';

type FreeSeat = { seatNo: number; price: number };

/** Free seats from a map of one row: `.` free, `x` taken, `$` free but dear (price 500). */
const row = (map: string): FreeSeat[] =>
  [...map].flatMap((mark, i) => (mark === 'x' ? [] : [{ seatNo: i + 1, price: mark === '$' ? 500 : 100 }]));

// Best available's pick is the SQL function booking_pick_block (the holds call it under a lock).
const context = await setupTestContext(t, { database: true });
const sql = context.sql as Sql;
async function pickBestBlock(free: FreeSeat[], quantity: number, maxPrice?: number): Promise<number[] | null> {
  const [picked] = await rows<{ pick: number[] | null }>(
    sql,
    'SELECT booking_pick_block($1::int[], $2::int[], $3, $4) AS pick',
    [free.map((seat) => seat.seatNo), free.map((seat) => seat.price), quantity, maxPrice ?? null],
  );
  return picked!.pick;
}

t.test('the lowest block that strands no single seat', async (t) => {
  t.same(await pickBestBlock(row('..........'), 2), [1, 2], 'an empty row: from the front');
  t.same(await pickBestBlock(row('...x......'), 2), [5, 6], '1–2 or 2–3 would strand a seat of the first run of 3');
  t.same(await pickBestBlock(row('...x....'), 2), [5, 6], 'a run of 4 takes two pairs cleanly');
  t.same(await pickBestBlock(row('x..x.....'), 2), [2, 3], 'a run of exactly 2 is perfect');
  t.same(await pickBestBlock(row('.....'), 3), [1, 2, 3], 'leaving 2 is fine');
  t.same(await pickBestBlock(row('....'), 3), [1, 2, 3], 'nothing better: the lowest block, stranding one');
  t.same(await pickBestBlock(row('x...x.x...'), 1), [2], 'one seat from a run of 3: an end, leaving a pair');
  t.same(await pickBestBlock(row('x..x.x...'), 1), [5], 'a lone seat is the perfect single');
});

t.test('runs end at taken seats and at seat numbers that do not exist', async (t) => {
  const gapped: FreeSeat[] = [1, 2, 3, 10, 11].map((seatNo) => ({ seatNo, price: 100 }));
  t.same(await pickBestBlock(gapped, 2), [10, 11], '1..3 then a gap: 10–11 strands nothing');
  t.same(await pickBestBlock(gapped, 3), [1, 2, 3]);
  t.equal(await pickBestBlock(gapped, 4), null, 'no 4 consecutive seats');
  t.equal(await pickBestBlock([], 1), null);
});

t.test('maxPrice: every seat of the block at most that, dear seats still count as neighbours', async (t) => {
  t.same(await pickBestBlock(row('$$......'), 2, 100), [3, 4], 'dear seats are skipped, not stranded');
  t.same(await pickBestBlock(row('$.....'), 2, 100), [3, 4], '2–3 would strand seat 1 (free, if dear)');
  t.equal(await pickBestBlock(row('$.$.$.'), 2, 100), null, 'no two cheap seats together');
  t.same(await pickBestBlock(row('$.$.$.'), 2), [1, 2], 'without a cap the dear ones will do');
  t.same(await pickBestBlock(row('..$$'), 2, 500), [1, 2]);
});
