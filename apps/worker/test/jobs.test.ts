import t from 'tap';
import { holdSeat, releaseLapsedHolds } from '@concert/booking-domain';
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

t.test('housekeeping forgets waiting tokens past their hard expiry, and only those', async (t) => {
  const { waitingRoom, redis, config, issuer } = await workerContext(t);
  const keys = queueKeys(config.REDIS_PREFIX, 'old');
  await waitingRoom.configure('old', { paused: true });
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
  t.same((await app.inject({ method: 'GET', url: '/health/ready' })).json(), {
    status: 'ok',
    checks: { postgres: 'up', redis: 'up' },
  });
  await context.waitingRoom.configure('m', { maxActive: 1, paused: true });
  await context.issuer.join('m', 'x');
  await context.waitingRoom.configure('m', { paused: false });
  t.ok(
    await eventually(async () => (await counterTotal(app, 'worker_admitted_total')) === 1),
    'the admitted counter counts',
  );
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /worker_admitted_total\{queue="m"[^}]*\} 1/);
  t.match(metrics, /worker_job_duration_seconds_count\{[^}]*job="admit-queues"/);
  t.match(metrics, /worker_released_holds_total/);
  await app.close();
  t.pass('closed: the job in hand finished and connections were released');
});
