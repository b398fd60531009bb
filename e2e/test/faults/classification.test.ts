/*
 * Outage or bug? The errors real servers produce when they fail — a private PostgreSQL cluster and
 * private redis-servers of this file's own, never the shared ones — through the production
 * clients (the pg pool of @concert/db with its timeouts, Prisma on its adapter, the fail-fast
 * ioredis client of @concert/queue), answered by the real error handler: an outage is 503
 * SERVICE_UNAVAILABLE with Retry-After, a bug is 500 INTERNAL_ERROR.
 */
import t, { type Test } from 'tap';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig } from '@concert/config';
import { createPrismaClient, createSqlPool, inTransaction, withDatabaseBudget, type Sql } from '@concert/db';
import { createServer, errorHandlerPlugin, isInfrastructureError } from '@concert/http';
import { createRedis, type RedisClient } from '@concert/queue';
import {
  createTestDatabase,
  hasRedisServer,
  privatePostgresUnavailable,
  startPrivatePostgres,
  startPrivateRedis,
} from '@concert/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error `operation` fails with (undefined when it unexpectedly succeeds), and how long it took. */
async function failureOf(operation: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await operation();
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

/** The real error handler, answering with whatever error it is handed. */
async function errorAnswers(t: Test) {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'classification', { logger: false });
  await app.register(errorHandlerPlugin);
  let next: unknown;
  app.get('/fail', async () => {
    throw next;
  });
  await app.ready();
  t.teardown(() => app.close());
  return async (error: unknown) => {
    next = error;
    const response = await app.inject({ method: 'GET', url: '/fail' });
    return { status: response.statusCode, code: response.json().code, retryAfter: response.headers['retry-after'] };
  };
}

/** Asserts `error` is an outage: 503 SERVICE_UNAVAILABLE with Retry-After. */
async function expectOutage(t: Test, answer: Awaited<ReturnType<typeof errorAnswers>>, name: string, error: unknown) {
  const description = `${(error as Error)?.name}: ${(error as Error)?.message?.split('\n').at(-1)}`;
  if (!error) return t.fail(`${name}: expected a failure, the operation succeeded`);
  t.ok(isInfrastructureError(error), `${name} is an outage (${description})`);
  t.same(await answer(error), { status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: '1' }, `${name}: 503`);
}

/** Asserts `error` is a bug: 500 INTERNAL_ERROR. */
async function expectBug(t: Test, answer: Awaited<ReturnType<typeof errorAnswers>>, name: string, error: unknown) {
  if (!error) return t.fail(`${name}: expected a failure, the operation succeeded`);
  t.notOk(isInfrastructureError(error), `${name} is a bug, not an outage`);
  t.same(await answer(error), { status: 500, code: 'INTERNAL_ERROR', retryAfter: undefined }, `${name}: 500`);
}

t.test('PostgreSQL failures, through pg and Prisma 7', { skip: privatePostgresUnavailable }, async (t) => {
  const answer = await errorAnswers(t);
  const server = await startPrivatePostgres(t, { settings: { max_connections: 8, superuser_reserved_connections: 0 } });
  const database = await createTestDatabase(server.url, { poolSize: 2 });
  t.teardown(() => database.drop().catch(() => {}));
  const connectionErrors: Error[] = [];
  const production = (statementTimeoutMs = 400) => {
    const pool = createSqlPool(database.url, {
      poolSize: 3,
      connectTimeoutMs: 1000,
      statementTimeoutMs,
      onConnectionError: (error) => connectionErrors.push(error),
    });
    t.teardown(() => pool.end().catch(() => {}));
    return pool;
  };
  const sql = production();
  const prisma = createPrismaClient(database.url, { pool: sql });
  t.teardown(() => prisma.$disconnect());
  const backendOf = async (client: pg.PoolClient) =>
    (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const terminate = (pid: number) => database.sql.query('SELECT pg_terminate_backend($1)', [pid]);
  const isRunning = async (pid: number) =>
    (await database.sql.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid])).rowCount ===
    1;

  await t.test('pg_terminate_backend during a statement of a transaction', async (t) => {
    // A pool whose statement timeout is longer than the statement, which is caught running.
    const patient = production(20_000);
    const { error } = await failureOf(() =>
      inTransaction(patient, async (tx) => {
        const pid = await backendOf(tx);
        const running = tx.query('SELECT pg_sleep(10)');
        // Handled from the start: it may fail (terminated) before the await below reaches it.
        running.catch(() => {});
        for (let i = 0; i < 100 && !(await isRunning(pid)); i++) await sleep(10);
        await terminate(pid);
        await running;
      }),
    );
    await expectOutage(t, answer, 'terminated mid-statement', error);
    t.ok(connectionErrors.length > 0, 'the lost connection reached the error listener, not the process');
    t.same((await patient.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the pool serves again');
  });

  await t.test('pg_terminate_backend while a transaction is idle between statements', async (t) => {
    const { error } = await failureOf(() =>
      inTransaction(sql, async (tx) => {
        await terminate(await backendOf(tx));
        await sleep(50);
        await tx.query('SELECT 1');
      }),
    );
    await expectOutage(t, answer, 'terminated between statements', error);
    const prismaCut = await failureOf(() =>
      prisma.$transaction(async (tx) => {
        const [backend] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await terminate(backend!.pid);
        await sleep(50);
        return tx.concert.count();
      }),
    );
    await expectOutage(t, answer, 'Prisma transaction terminated', prismaCut.error);
  });

  await t.test('a statement over statement_timeout', async (t) => {
    const { error, ms } = await failureOf(() => sql.query('SELECT pg_sleep(2)'));
    await expectOutage(t, answer, 'statement timeout', error);
    t.equal((error as { code?: string }).code, '57014', 'cancelled by the server (query_canceled)');
    t.ok(ms < 1000, `cancelled after ${ms} ms`);
  });

  await t.test('too many connections', async (t) => {
    const hogs: pg.Client[] = [];
    t.teardown(() => Promise.all(hogs.map((client) => client.end().catch(() => {}))));
    for (let i = 0; i < 8; i++) {
      const client = new pg.Client({ connectionString: database.url });
      if (
        await client.connect().then(
          () => true,
          () => false,
        )
      )
        hogs.push(client);
      else break;
    }
    const fresh = production();
    const { error } = await failureOf(() => fresh.query('SELECT 1'));
    await expectOutage(t, answer, 'pg: too many clients', error);
    t.equal((error as { code?: string }).code, '53300');
    const viaPrisma = createPrismaClient(database.url, { pool: production() });
    const prismaFull = await failureOf(() => viaPrisma.concert.count());
    await expectOutage(t, answer, 'Prisma: too many clients', prismaFull.error);
  });

  await t.test('a hung server (SIGSTOP): pooled and new connections both give up within about a second', async (t) => {
    await sql.query('SELECT 1'); // one idle connection in the pool
    server.pause();
    try {
      const pooled = await failureOf(() => sql.query('SELECT 1'));
      await expectOutage(t, answer, 'no answer on a pooled connection', pooled.error);
      t.ok(pooled.ms < 1500, `given up after ${pooled.ms} ms`);
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => failureOf(() => sql.query('SELECT 1'))));
      for (const attempt of [a!, b!, c!]) {
        await expectOutage(t, answer, 'no answer to a new connection', attempt.error);
        t.ok(attempt.ms < 1500, `given up after ${attempt.ms} ms`);
      }
      const prismaHung = await failureOf(() => prisma.concert.count());
      await expectOutage(t, answer, 'Prisma: no answer', prismaHung.error);
    } finally {
      server.resume();
    }
    let back = false;
    for (let i = 0; i < 20 && !back; i++)
      back = await sql.query('SELECT 1').then(
        () => true,
        () => false,
      );
    t.ok(back, 'the pool serves again once the server wakes');
  });

  await t.test("a request's budget bounds its database work together, not each step", async (t) => {
    const BUDGET_MS = 300;
    /** Runs `work` as a request with a budget does: its error and how long it took. */
    const asRequest = (work: () => Promise<unknown>) => failureOf(() => withDatabaseBudget(BUDGET_MS, work));
    // Within bounds the pool's per-step timeouts would each allow (a 1 s wait for a connection,
    // 650 ms per statement), well short of their sum.
    const within = BUDGET_MS + 400;

    // Slow, not hung: four statements of 200 ms, each under the 400 ms statement timeout.
    const slow = await asRequest(() =>
      inTransaction(sql, async (tx) => {
        for (let i = 0; i < 4; i++) await tx.query('SELECT pg_sleep(0.2)');
      }),
    );
    await expectOutage(t, answer, 'statements past the budget', slow.error);
    t.ok(slow.ms < within, `a slow transaction gave up after ${slow.ms} ms`);

    // Hung, with more requests than connections: some wait for one, then meet the hung server.
    const pool = production();
    const prisma = createPrismaClient(database.url, { pool });
    await prisma.concert.count(); // Prisma's engine started (as in a process that has served)
    await Promise.all([0, 1, 2].map(() => pool.query('SELECT 1'))); // connections open and idle
    server.pause();
    try {
      const attempts = await Promise.all([
        ...Array.from({ length: 6 }, () =>
          asRequest(() =>
            inTransaction(pool, async (tx) => {
              await tx.query('SELECT 1');
              await tx.query('SELECT 2');
            }),
          ),
        ),
        asRequest(() => pool.query('SELECT 1')),
        // Awaited inside: a Prisma query starts when it is awaited, not when it is built.
        asRequest(async () => await prisma.concert.count()),
      ]);
      for (const attempt of attempts) await expectOutage(t, answer, 'hung, with a budget', attempt.error);
      const slowest = Math.max(...attempts.map((attempt) => attempt.ms));
      t.ok(slowest < within, `every request gave up within its budget (slowest ${slowest} ms)`);
    } finally {
      server.resume();
    }
    let back = false;
    for (let i = 0; i < 20 && !back; i++)
      back = await pool.query('SELECT 1').then(
        () => true,
        () => false,
      );
    t.ok(back, 'the pool serves again once the server wakes');
    t.same(
      (await asRequest(() => inTransaction(pool, (tx) => tx.query('SELECT 1 AS one')))).error,
      undefined,
      'and a request within its budget succeeds',
    );
  });

  await t.test('an immediate shutdown (a crash), the server down, then back', async (t) => {
    // Statements that would run 10 s (a pool whose statement timeout is longer), caught running.
    const patient = production(20_000);
    const patientPrisma = createPrismaClient(database.url, { pool: patient });
    const running = failureOf(() => patient.query('SELECT pg_sleep(10)'));
    const prismaRunning = failureOf(() => patientPrisma.$queryRaw`SELECT pg_sleep(10)::text`);
    for (let i = 0; i < 100; i++) {
      const { rows } = await database.sql.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(10)%' AND state = 'active'",
      );
      if (rows[0].n === 2) break;
      await sleep(20);
    }
    await server.stop('immediate');
    await expectOutage(t, answer, 'pg: statement cut by the crash', (await running).error);
    await expectOutage(t, answer, 'Prisma: statement cut by the crash', (await prismaRunning).error);

    const down = await failureOf(() => sql.query('SELECT 1'));
    await expectOutage(t, answer, 'pg: server down', down.error);
    t.ok(down.ms < 1000, `refused at once (${down.ms} ms)`);
    await expectOutage(
      t,
      answer,
      'Prisma model query: server down',
      (await failureOf(() => prisma.concert.count())).error,
    );
    await expectOutage(
      t,
      answer,
      'Prisma raw query (P2010): server down',
      (await failureOf(() => prisma.$queryRaw`SELECT 1`)).error,
    );

    await server.start();
    t.same((await sql.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'serves again after recovery');
    t.equal(await prisma.concert.count(), 0, 'Prisma too');
  });

  await t.test('bugs stay 500s', async (t) => {
    await expectBug(t, answer, 'pg: syntax error', (await failureOf(() => sql.query('SELEC 1'))).error);
    await expectBug(
      t,
      answer,
      'Prisma raw: syntax error (P2010)',
      (await failureOf(() => prisma.$queryRawUnsafe('SELEC 1'))).error,
    );
    const queue = { id: 'dup', maxActive: 1, activeTtlSeconds: 60, abandonAfterSeconds: 60 };
    await prisma.queue.create({ data: queue });
    await expectBug(
      t,
      answer,
      'Prisma: unique violation (P2002)',
      (await failureOf(() => prisma.queue.create({ data: queue }))).error,
    );
    await expectBug(
      t,
      answer,
      'pg: unique violation',
      (
        await failureOf(() =>
          sql.query(
            `INSERT INTO queue (id, max_active, active_ttl_seconds, abandon_after_seconds) VALUES ('dup', 1, 60, 60)`,
          ),
        )
      ).error,
    );
  });
});

t.test(
  'Redis failures, through the fail-fast client',
  { skip: !hasRedisServer && 'redis-server is not installed' },
  async (t) => {
    const answer = await errorAnswers(t);
    /** The production client (fail fast), connected. */
    const clientOf = async (url: string, overrides: Parameters<typeof createRedis>[1] = {}): Promise<RedisClient> => {
      const client = createRedis(url, overrides);
      client.on('error', () => {});
      t.teardown(() => client.disconnect());
      await new Promise((resolve) => client.once('ready', resolve));
      return client;
    };

    await t.test('killed (kill -9): in flight, and while it is gone', async (t) => {
      const server = await startPrivateRedis(t, { appendonly: true });
      const client = await clientOf(server.url);
      const inFlight = failureOf(() => client.eval('local i = 0 while i < 50000000 do i = i + 1 end return i', 0));
      await sleep(50);
      await server.kill();
      const cut = await inFlight;
      await expectOutage(t, answer, 'a command in flight', cut.error);
      t.ok(cut.ms < 1500, `failed after ${cut.ms} ms`);
      const gone = await failureOf(() => client.get('k'));
      await expectOutage(t, answer, 'a command while it is gone', gone.error);
      t.ok(gone.ms < 100, `failed at once (${gone.ms} ms)`);
      await server.start();
      let back = false;
      for (let i = 0; i < 40 && !back; i++, await sleep(100))
        back = await client.ping().then(
          () => true,
          () => false,
        );
      t.ok(back, 'the same client works again by itself');
    });

    await t.test('hung (SIGSTOP): the command timeout answers', async (t) => {
      const server = await startPrivateRedis(t);
      const client = await clientOf(server.url);
      server.pause();
      try {
        const hung = await failureOf(() => client.get('k'));
        await expectOutage(t, answer, 'no answer', hung.error);
        t.ok(hung.ms < 1500, `given up after ${hung.ms} ms`);
      } finally {
        server.resume();
      }
    });

    await t.test('LOADING while the append-only file loads', async (t) => {
      // key-load-delay slows loading per key, so the window is wide enough to meet.
      const server = await startPrivateRedis(t, {
        appendonly: true,
        args: ['--key-load-delay', '200', '--loading-process-events-interval-bytes', '1024'],
      });
      const admin = new Redis(server.url);
      t.teardown(() => admin.disconnect());
      await admin.eval("for i = 1, 5000 do redis.call('SET', 'key:' .. i, i) end return 1", 0);
      await admin.bgrewriteaof();
      for (let i = 0; i < 100 && /aof_rewrite_in_progress:1/.test(await admin.info('persistence')); i++)
        await sleep(50);
      await server.kill();
      await server.start({ untilLoaded: false });
      // Without the ready check ioredis would hold commands back until loading is over; the
      // production client (with it) fails fast instead, which is an outage as well.
      const raw = await clientOf(server.url, { enableReadyCheck: false });
      const production = createRedis(server.url);
      production.on('error', () => {});
      t.teardown(() => production.disconnect());
      const loading = await failureOf(() => raw.get('key:1'));
      t.match((loading.error as Error)?.message, /^LOADING/, 'the server answers LOADING');
      await expectOutage(t, answer, 'LOADING', loading.error);
      await expectOutage(
        t,
        answer,
        'the fail-fast client while loading',
        (await failureOf(() => production.get('key:1'))).error,
      );
    });

    await t.test('READONLY from a replica', async (t) => {
      const primary = await startPrivateRedis(t);
      const replica = await startPrivateRedis(t, { args: ['--replicaof', '127.0.0.1', String(primary.port)] });
      const client = await clientOf(replica.url);
      const write = await failureOf(() => client.set('k', 'v'));
      t.match((write.error as Error)?.message, /^READONLY/);
      await expectOutage(t, answer, 'READONLY', write.error);
    });

    await t.test('CLUSTERDOWN from a cluster node that serves no slot', async (t) => {
      const node = await startPrivateRedis(t, { args: ['--cluster-enabled', 'yes'] });
      const client = await clientOf(node.url);
      const read = await failureOf(() => client.get('k'));
      t.match((read.error as Error)?.message, /^CLUSTERDOWN/);
      await expectOutage(t, answer, 'CLUSTERDOWN', read.error);
    });

    await t.test('BUSY behind a long script, OOM over maxmemory', async (t) => {
      const server = await startPrivateRedis(t, { args: ['--busy-reply-threshold', '100'] });
      const client = await clientOf(server.url);
      const scripting = new Redis(server.url);
      t.teardown(() => scripting.disconnect());
      const long = scripting.eval('local i = 0 while i < 500000000 do i = i + 1 end return i', 0).catch(() => {});
      await sleep(250);
      const busy = await failureOf(() => client.get('k'));
      t.match((busy.error as Error)?.message, /^BUSY/);
      await expectOutage(t, answer, 'BUSY', busy.error);
      await client.call('SCRIPT', 'KILL').catch(() => {});
      await long;

      await client.config('SET', 'maxmemory', '1mb');
      const full = await failureOf(() => client.set('big', 'x'.repeat(2_000_000)));
      t.match((full.error as Error)?.message, /^OOM/);
      await expectOutage(t, answer, 'OOM', full.error);
      await client.config('SET', 'maxmemory', '0');

      await client.set('text', 'x');
      await expectBug(t, answer, 'WRONGTYPE', (await failureOf(() => client.lpush('text', 'x'))).error);
      await expectBug(t, answer, 'an unknown command', (await failureOf(() => client.call('NO-SUCH-COMMAND'))).error);
      await expectBug(
        t,
        answer,
        'a script error',
        (await failureOf(() => client.eval('return redis.call("nope")', 0))).error,
      );
    });
  },
);

t.test('a database nobody listens on', async (t) => {
  const answer = await errorAnswers(t);
  const sql: Sql = createSqlPool('postgresql://postgres@127.0.0.1:1/none', { connectTimeoutMs: 500 });
  t.teardown(() => sql.end().catch(() => {}));
  await expectOutage(t, answer, 'ECONNREFUSED', (await failureOf(() => sql.query('SELECT 1'))).error);
});
