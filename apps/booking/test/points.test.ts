import t from 'tap';
import { NO_VIOLATIONS } from '@concert/testing';
import { buildStack, invariantViolations } from './helper.js';

t.test('points', async (t) => {
  const stack = await buildStack(t, { MAX_CHARGE: 1000, MAX_BALANCE: 5000 });
  const { app, fan } = stack;
  const alice = await fan('alice');
  const charge = (amount: unknown, headers: Record<string, string> = alice.headers) =>
    app.inject({ method: 'POST', url: '/points/charge', headers, payload: { amount } as object });

  t.test('a new user has 0 and an empty ledger', async (t) => {
    t.same((await app.inject({ method: 'GET', url: '/points', headers: alice.headers })).json(), {
      userId: 'alice',
      balance: 0,
    });
    t.same((await app.inject({ method: 'GET', url: '/points/transactions', headers: alice.headers })).json(), []);
  });

  t.test('charging adds up and writes the ledger, newest first', async (t) => {
    const first = await charge(300);
    t.equal(first.statusCode, 200);
    t.same(first.json(), { userId: 'alice', balance: 300 });
    t.same((await charge(200)).json(), { userId: 'alice', balance: 500 });
    const ledger = (await app.inject({ method: 'GET', url: '/points/transactions', headers: alice.headers })).json();
    t.match(ledger, [
      { type: 'CHARGE', amount: 200, balanceAfter: 500 },
      { type: 'CHARGE', amount: 300, balanceAfter: 300 },
    ]);
    t.ok(Date.parse(ledger[0].createdAt) > 0);
  });

  t.test('amounts must be integers in 1..MAX_CHARGE', async (t) => {
    for (const amount of [0, -5, 1.5, '100', null, 1001]) {
      const response = await charge(amount);
      t.same(
        [response.statusCode, response.json().code],
        [400, 'VALIDATION_ERROR'],
        `amount ${JSON.stringify(amount)}`,
      );
    }
    t.equal(
      (await app.inject({ method: 'GET', url: '/points', headers: alice.headers })).json().balance,
      500,
      'unchanged',
    );
  });

  t.test('the balance never passes MAX_BALANCE', async (t) => {
    for (let i = 0; i < 4; i++) await charge(1000);
    t.equal((await charge(500)).json().balance, 5000, 'up to the limit exactly');
    const over = await charge(1);
    t.same([over.statusCode, over.json().code], [422, 'BALANCE_LIMIT_EXCEEDED']);
    t.equal(
      (await app.inject({ method: 'GET', url: '/points', headers: alice.headers })).json().balance,
      5000,
      'unchanged',
    );
    t.equal(
      await stack.db.pointTransaction.count({ where: { userId: 'alice' } }),
      7,
      'no ledger row for the refused charge',
    );
  });

  t.test('Idempotency-Key: a replay returns the first response and charges once', async (t) => {
    const bob = await fan('bob');
    const headers = { ...bob.headers, 'idempotency-key': 'charge-1' };
    const first = await charge(100, headers);
    const replay = await charge(100, headers);
    t.equal(replay.statusCode, 200);
    t.same(replay.json(), first.json());
    t.equal(replay.headers['idempotent-replayed'], 'true');
    const reused = await charge(999, headers);
    t.same([reused.statusCode, reused.json().code], [422, 'IDEMPOTENCY_KEY_REUSED']);
    t.equal((await app.inject({ method: 'GET', url: '/points', headers: bob.headers })).json().balance, 100);
    t.equal(await stack.db.pointTransaction.count({ where: { userId: 'bob' } }), 1, 'one ledger row');
    const badKey = await charge(100, { ...bob.headers, 'idempotency-key': 'x'.repeat(300) });
    t.equal(badKey.statusCode, 400, 'an over-long key is refused');
  });

  t.test('50 concurrent charges for one user add up exactly', async (t) => {
    const carol = await fan('carol');
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => charge(i + 1, carol.headers)));
    t.ok(
      responses.every((r) => r.statusCode === 200),
      'all succeeded',
    );
    const expected = (50 * 51) / 2;
    t.equal((await app.inject({ method: 'GET', url: '/points', headers: carol.headers })).json().balance, expected);
    const afters = responses.map((r) => r.json().balance).sort((a: number, b: number) => a - b);
    t.equal(new Set(afters).size, 50, 'each charge saw a distinct balance: none was lost');
    t.equal(Math.max(...afters), expected);
  });

  t.test('50 concurrent charges with one Idempotency-Key charge once', async (t) => {
    const dave = await fan('dave');
    const headers = { ...dave.headers, 'idempotency-key': 'same-key' };
    const responses = await Promise.all(Array.from({ length: 50 }, () => charge(250, headers)));
    t.ok(
      responses.every(
        (r) =>
          (r.statusCode === 200 && r.json().balance === 250) ||
          (r.statusCode === 409 && r.json().code === 'IDEMPOTENCY_KEY_IN_FLIGHT'),
      ),
      'every answer is the first one, or "still in flight" (never a wait, never a second charge)',
    );
    t.ok(
      responses.some((r) => r.statusCode === 200),
      'the first one answers',
    );
    t.equal(await stack.db.pointTransaction.count({ where: { userId: 'dave' } }), 1);
    const retry = await charge(250, headers);
    t.same([retry.statusCode, retry.json().balance, retry.headers['idempotent-replayed']], [200, 250, 'true']);
  });

  t.test('invariants hold in the database', async (t) => {
    t.same(await invariantViolations(stack.db), NO_VIOLATIONS);
  });
});
