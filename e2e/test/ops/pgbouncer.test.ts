import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import pg from 'pg';
import { createSqlPool, seedDemoData, type Db } from '@concert/db';
import { createBookingClient, createGatewayClient, type ApiError } from '@concert/contract';
import {
  freePort,
  invariantViolations,
  NO_VIOLATIONS,
  setupTestContext,
  startStack,
  TEST_ADMIN_KEY,
} from '@concert/testing';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMPONENT_INI = join(ROOT, 'deploy/k8s/components/pgbouncer/pgbouncer.ini');
const hasPgbouncer = spawnSync('sh', ['-c', 'command -v pgbouncer']).status === 0;

/** The deploy kit's pgbouncer.ini with this test's database, port and files (pool settings unchanged). */
function iniFor(dir: string, port: number, database: URL) {
  const overrides: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: '',
    auth_type: 'trust',
    auth_file: join(dir, 'userlist.txt'),
    admin_users: 'postgres',
    logfile: join(dir, 'pgbouncer.log'),
    pidfile: join(dir, 'pgbouncer.pid'),
  };
  const name = database.pathname.slice(1);
  // The kit's own database line (its connect_query included), pointed at this test's database.
  let ini = readFileSync(COMPONENT_INI, 'utf8').replace(/^concert = (.*)$/m, (_line, value: string) => {
    const target = value
      .replace(/host=\S+/, `host=${database.hostname}`)
      .replace(/port=\S+/, `port=${database.port || 5432}`)
      .replace(/dbname=\S+/, `dbname=${name}`);
    return `${name} = ${target} user=postgres`;
  });
  for (const [key, value] of Object.entries(overrides)) {
    const line = new RegExp(`^${key} = .*$`, 'm');
    ini = line.test(ini)
      ? ini.replace(line, `${key} = ${value}`)
      : ini.replace('[pgbouncer]\n', `[pgbouncer]\n${key} = ${value}\n`);
  }
  return ini;
}

/** Starts PgBouncer (as user postgres: it refuses to run as root) with the kit's configuration. */
async function startPgbouncer(t: Tap, database: URL) {
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'pgbouncer.ini'), iniFor(dir, port, database));
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), 0);
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')];
  const child = spawn('pgbouncer', args, { stdio: 'ignore' });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  t.teardown(stop);
  const admin = `postgresql://postgres@127.0.0.1:${port}/pgbouncer`;
  for (let i = 0; i < 50; i++) {
    const client = new pg.Client({ connectionString: admin });
    const up = await client.connect().then(
      () => true,
      () => false,
    );
    await client.end().catch(() => {});
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  /** PgBouncer's admin console (simple protocol only). */
  const show = async (what: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      return (await client.query({ text: `SHOW ${what}`, queryMode: 'simple' } as pg.QueryConfig)).rows;
    } finally {
      await client.end();
    }
  };
  const url = new URL(database);
  url.host = `127.0.0.1:${port}`;
  return { url: url.toString(), show, stop, log: () => readFileSync(join(dir, 'pgbouncer.log'), 'utf8') };
}

type Tap = { teardown(fn: () => unknown): void };

t.test(
  'the booking SQL works through PgBouncer in transaction mode (the deploy kit’s pgbouncer.ini)',
  { skip: hasPgbouncer ? false : 'pgbouncer is not installed (apt-get install -y pgbouncer)' },
  async (t) => {
    const context = await setupTestContext(t, {
      database: true,
      env: { ADMIT_INTERVAL_MS: 200, MAX_HOLDS_PER_USER: 4, LOG_LEVEL: 'warn' },
    });
    const db = context.db as Db;
    await seedDemoData(db);
    const bouncer = await startPgbouncer(t, new URL(context.env.DATABASE_URL!));
    const [config] = (await bouncer.show('CONFIG')).filter((row) => row.key === 'pool_mode');
    t.equal(config.value, 'transaction', 'PgBouncer pools by transaction');
    // The apps' pool asks for a statement timeout at connection start; through PgBouncer the
    // server connections get it from the kit's connect_query.
    const probe = createSqlPool(bouncer.url, {
      poolSize: 1,
      statementTimeoutMs: context.config.DATABASE_STATEMENT_TIMEOUT_MS,
    });
    const [{ statement_timeout: timeout }] = (await probe.query('SHOW statement_timeout')).rows;
    await probe.end();
    t.equal(timeout, '1s', 'statements through PgBouncer are cut after 1 s');

    // Every process talks to PostgreSQL through PgBouncer only.
    // In transaction mode PgBouncer gives each transaction another server connection: no prepared statements.
    const stack = await startStack({
      env: { ...context.env, DATABASE_URL: bouncer.url, DATABASE_PREPARED_STATEMENTS: 'false' },
    });
    t.teardown(() => stack.stop());
    const gateway = createGatewayClient(stack.gateways[0]!);
    const booking = createBookingClient(stack.bookings[0]!);
    const [concert] = (await booking.listConcerts()).data;
    const queueId = concert!.queueId;
    await gateway.admin(TEST_ADMIN_KEY).putQueue(queueId, { maxActive: 30, activeTtlSeconds: 300 });

    const fans = await Promise.all(
      Array.from({ length: 21 }, async (_, i) => {
        const identity = await context.identityToken(`fan-${i}`);
        const { token, status } = (await gateway.joinQueue(queueId, identity)).data;
        t.equal(status, 'ACTIVE');
        return { token, identity };
      }),
    );
    const schedule = (await booking.listSchedules(fans[0]!.token, concert!.id)).data[0]!;
    const hold = (token: string, seatNo: number) =>
      booking.holdSeats(token, concert!.id, schedule.id, { seatNo }).then(
        (answer) => answer.data,
        (error: ApiError) => error.code,
      );

    // Twenty fans race for one seat: exactly one wins (a conditional UPDATE in a transaction).
    const race = await Promise.all(fans.slice(0, 20).map(({ token }) => hold(token, 7)));
    t.equal(race.filter((r) => typeof r !== 'string').length, 1, 'one fan holds seat 7');
    t.equal(race.filter((r) => r === 'SEAT_UNAVAILABLE').length, 19, 'nineteen lost it');

    // One fan fires ten holds at once: the per-user transaction-level advisory lock keeps it at 4.
    const greedy = fans[20]!;
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => hold(greedy.token, 20 + i)));
    const won = burst.filter((r) => typeof r !== 'string') as { reservationId: string; price: number }[];
    t.equal(won.length, 4, 'at most MAX_HOLDS_PER_USER holds');
    t.equal(burst.filter((r) => r === 'HOLD_LIMIT_REACHED').length, 6);

    // Charges and payments with Idempotency-Key (the key claimed with the effect, in one transaction).
    const total = won.reduce((sum, r) => sum + r.price, 0);
    const key = 'charge-once';
    const charges = await Promise.all(
      Array.from({ length: 5 }, () =>
        booking.chargePoints(greedy.token, total, { idempotencyKey: key }).then(
          (answer) => answer.data.balance,
          (error: ApiError) => error.code,
        ),
      ),
    );
    t.ok(
      charges.every((answer) => answer === total || answer === 'IDEMPOTENCY_KEY_IN_FLIGHT'),
      `one charge, the same key replayed: ${charges}`,
    );
    const paid = await booking.payReservations(
      greedy.token,
      { reservationIds: won.map((r) => r.reservationId) },
      { idempotencyKey: 'pay-once' },
    );
    t.equal(paid.data.amount, total);
    const replay = await booking.payReservations(
      greedy.token,
      { reservationIds: won.map((r) => r.reservationId) },
      { idempotencyKey: 'pay-once' },
    );
    t.equal(replay.headers.get('idempotent-replayed'), 'true', 'the payment replays');
    t.equal((await booking.getBalance(greedy.identity)).data.balance, 0);
    const winnerIndex = race.findIndex((r) => typeof r !== 'string');
    const cancelled = race[winnerIndex] as { reservationId: string };
    const winner = fans[winnerIndex]!;
    await booking.cancelReservation(winner.token, cancelled.reservationId);

    // The worker's jobs (releasing lapsed holds, forgetting old keys) run through it too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.same(await invariantViolations(db), NO_VIOLATIONS, 'no seat held or sold twice; balances equal their ledgers');
    t.equal(await db.payment.count(), 1);
    t.equal(await db.pointTransaction.count({ where: { userId: 'fan-20', type: 'CHARGE' } }), 1, 'charged once');

    const stats = await bouncer.show('STATS');
    const mine = stats.find((row) => row.database === new URL(context.env.DATABASE_URL!).pathname.slice(1));
    t.ok(Number(mine?.total_xact_count) > 50, `${mine?.total_xact_count} transactions went through PgBouncer`);
    t.notMatch(bouncer.log(), /prepared statement .* does not exist|ERROR/i, 'no statement failed in PgBouncer');
    t.same(await stack.stop(), [0, 0, 0], 'every process stopped cleanly');
    await bouncer.stop();
  },
);
