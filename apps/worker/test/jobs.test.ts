import t from 'tap';
import { forgetIdempotencyRecords, holdSeat, releaseLapsedHolds } from '@concert/booking-domain';
import { deleteKeysUnder } from '@concert/testing';
import { seedDemoData } from '@concert/db';
import { queueKeys } from '@concert/queue';
import { counterTotal, eventually, sleep, startWorker, workerContext } from './helper.js';

t.test('releasing lapsed holds from two sweepers at once releases each exactly once', async (t) => {
  const { db, sql } = await workerContext(t);
  const { concert } = await seedDemoData(db);
  const schedules = await db.schedule.findMany({ where: { concertId: concert.id } });
  let held = 0;
  for (const schedule of schedules) {
    for (let seatNo = 1; seatNo <= 50; seatNo++) {
      await holdSeat({
        sql,
        userId: `u-${seatNo}-${schedule.id}`,
        concertId: concert.id,
        scheduleId: schedule.id,
        seatNo,
        holdSeconds: 1,
        maxHolds: 4,
      });
      held++;
    }
  }
  await sleep(1100);
  const sweep = async () => {
    let total = 0;
    for (;;) {
      const { released } = await releaseLapsedHolds({ sql, batch: 7 });
      if (released === 0) return total;
      total += released;
    }
  };
  const [a, b] = await Promise.all([sweep(), sweep()]);
  t.equal(a + b, held, `${held} holds released in total (${a} + ${b})`);
  t.ok(a > 0 && b > 0, 'both sweepers did part of the work');
  t.equal(await db.reservation.count({ where: { status: 'EXPIRED' } }), held);
  t.equal(await db.seat.count({ where: { status: 'AVAILABLE' } }), held, 'every seat is free again');
});

t.test('the token sweep forgets waiting tokens past their hard expiry, and only those', async (t) => {
  const { waitingRoom, redis, config, issuer } = await workerContext(t);
  const keys = queueKeys(config.REDIS_PREFIX, 'old');
  await issuer.configure('old', { paused: true });
  for (let i = 0; i < 5; i++) await issuer.join('old', `u-${i}`);
  t.equal(await waitingRoom.sweep('old', { tokenTtlSeconds: 3600 }), 0, 'young tokens stay');
  t.equal(await redis.zcard(keys.waiting), 5);
  t.equal(await waitingRoom.sweep('old', { tokenTtlSeconds: 0 }), 5, 'tokens past the TTL go');
  t.equal(await redis.zcard(keys.waiting), 0);
  t.equal(await redis.hlen(keys.users), 0, 'their user entries too');
  const fresh = await issuer.join('old', 'u-new');
  t.equal(fresh.status, 'WAITING');
  t.equal(await waitingRoom.sweep('old', { tokenTtlSeconds: 3600 }), 0, 'a newcomer after the sweep is kept');
});

t.test('the worker app: health, metrics, and a clean stop', async (t) => {
  const context = await workerContext(t);
  const app = await startWorker(t, context);
  // Ready once the first tick has run (readiness also asks for the schedulers and recent ticks).
  t.ok(
    await eventually(async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200),
    'ready',
  );
  t.same((await app.inject({ method: 'GET', url: '/health/ready' })).json(), {
    status: 'ok',
    checks: { postgres: 'up', redis: 'up', schedulers: 'up', ticks: 'up' },
  });
  await context.issuer.configure('m', { maxActive: 1, paused: true });
  await context.issuer.join('m', 'x');
  await context.issuer.configure('m', { paused: false });
  t.ok(
    await eventually(async () => (await counterTotal(app, 'worker_admitted_total')) === 1),
    'the admitted counter counts',
  );
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /worker_admitted_total\{queue="m"[^}]*\} 1/);
  t.match(metrics, /worker_job_duration_seconds_count\{[^}]*job_name="admit-queues"/);
  t.match(metrics, /worker_released_holds_total/);
  await app.close();
  t.pass('closed: the job in hand finished and connections were released');
});

t.test('old Idempotency-Key records are forgotten after the retention, newer ones kept', async (t) => {
  const { sql } = await workerContext(t);
  const insert = (key: string, hoursAgo: number) =>
    sql.query(
      `INSERT INTO idempotency_record (user_id, scope, key, request_hash, status_code, response_body, created_at)
       VALUES ('u', 'payments', $1, 'h', 201, '{}', now() - make_interval(hours => $2::int))`,
      [key, hoursAgo],
    );
  await insert('old-1', 30);
  await insert('old-2', 25);
  await insert('fresh', 1);
  t.equal(await forgetIdempotencyRecords({ sql, retentionHours: 24 }), 2);
  const left = await sql.query('SELECT key FROM idempotency_record');
  t.same(left.rows, [{ key: 'fresh' }]);
  t.equal(await forgetIdempotencyRecords({ sql, retentionHours: 24 }), 0, 'running again changes nothing');
});

t.test('a queue Redis lost is restored from PostgreSQL by the next tick, and admits again', async (t) => {
  const context = await workerContext(t);
  const { issuer, redis, config, waitingRoom } = context;
  await issuer.configure('lost', { maxActive: 2, paused: true });
  // Redis loses everything (restarted without persistence, or failed over to an empty replica).
  await deleteKeysUnder(redis, config.REDIS_PREFIX);
  t.same(await waitingRoom.queueIds(), [], 'Redis knows no queue');

  await startWorker(t, context);
  t.ok(await eventually(async () => (await waitingRoom.queueIds()).includes('lost')), 'the tick put the queue back');
  t.match(await waitingRoom.figures('lost'), { maxActive: 2, paused: true }, 'with its stored settings');
  await issuer.configure('lost', { paused: false });
  const fan = await issuer.join('lost', 'back-again');
  t.ok(
    await eventually(async () => (await waitingRoom.status('lost', fan.claims))?.status === 'ACTIVE'),
    'and admission goes on',
  );
});
