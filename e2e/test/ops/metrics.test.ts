import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { ApiError, createBookingClient, createGatewayClient } from '@concert/contract';
import { setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';
import { deployQueries, exportedNames, isExported, metricNamesIn, scrape, valueOf } from './prometheus.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
};

// Real processes and a real journey: more than tap's default 120 s on a busy machine.
t.setTimeout(300_000);

t.test('after a scripted journey, each process exports the figures of what happened', async (t) => {
  const context = await setupTestContext(t, {
    database: true,
    env: { ADMIT_INTERVAL_MS: 200, MAX_HOLDS_PER_USER: 2, LOG_LEVEL: 'warn' },
  });
  await seedDemoData(context.db as Db);
  const stack = await startStack({ env: context.env });
  t.teardown(() => stack.stop());
  const [gatewayUrl, bookingUrl, workerUrl] = [stack.gateways[0]!, stack.bookings[0]!, stack.workers[0]!];
  const gateway = createGatewayClient(gatewayUrl);
  const booking = createBookingClient(bookingUrl);

  const [concert] = (await booking.listConcerts()).data;
  const queueId = concert!.queueId;
  await gateway.admin(TEST_ADMIN_KEY).putQueue(queueId, { maxActive: 1, activeTtlSeconds: 300 });

  // Ann is admitted at once (room, nobody waiting); Bob waits behind her.
  const ann = (await gateway.joinQueue(queueId, await context.identityToken('ann'))).data;
  const bob = (await gateway.joinQueue(queueId, await context.identityToken('bob'))).data;
  t.equal(ann.status, 'ACTIVE');
  t.equal(bob.status, 'WAITING');
  await gateway.joinQueue(queueId, await context.identityToken('bob')); // a second tab: rejoined
  t.equal(await codeOf(gateway.joinQueue(queueId, 'not-a-token')), 'IDENTITY_INVALID');
  await gateway.pollToken(queueId, bob.token);
  await gateway.pollToken(queueId, ann.token);

  // The gauges are read from Redis at scrape time.
  const during = await scrape(gatewayUrl);
  t.equal(valueOf(during, 'waiting_room_waiting', { queue: queueId }), 1, 'one fan waiting');
  t.equal(valueOf(during, 'waiting_room_active', { queue: queueId }), 1, 'one fan active');
  t.equal(valueOf(during, 'waiting_room_max_active', { queue: queueId }), 1, 'maxActive as set');
  t.equal(valueOf(during, 'waiting_room_queue_status', { queue: queueId, status: 'OPEN' }), 1, 'queue open');
  t.equal(valueOf(during, 'waiting_room_paused', { queue: queueId }), 0);

  // Ann holds two seats (won), tries a taken one (lost) and a third (limit), charges, pays, and
  // her client retries the charge and the payment with the same keys (replays).
  const schedule = (await booking.listSchedules(ann.token, concert!.id)).data[0]!;
  const hold = (seatNo: number) => booking.holdSeats(ann.token, concert!.id, schedule.id, { seatNo });
  const first = (await hold(1)).data;
  const second = (await hold(2)).data;
  t.equal(await codeOf(hold(1)), 'SEAT_UNAVAILABLE');
  t.equal(await codeOf(hold(3)), 'HOLD_LIMIT_REACHED');
  const chargeKey = randomUUID();
  await booking.chargePoints(ann.token, 400_000, { idempotencyKey: chargeKey });
  await booking.chargePoints(ann.token, 400_000, { idempotencyKey: chargeKey });
  const payKey = randomUUID();
  const body = { reservationIds: [first.reservationId, second.reservationId] };
  const paid = (await booking.payReservations(ann.token, body, { idempotencyKey: payKey })).data;
  const again = await booking.payReservations(ann.token, body, { idempotencyKey: payKey });
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(paid.amount, first.price + second.price);

  // Paying ended Ann's turn and handed the place to Bob, who then leaves.
  t.equal(await codeOf(gateway.pollToken(queueId, ann.token)), 'TOKEN_EXPIRED');
  t.equal((await gateway.pollToken(queueId, bob.token)).data.status, 'ACTIVE');
  await gateway.leaveQueue(queueId, bob.token);
  // Queue figures are read from Redis at most once a second (several scrapers share a read).
  await new Promise((resolve) => setTimeout(resolve, 1100));

  const [gatewayScrape, bookingScrape, workerScrape] = await Promise.all([
    scrape(gatewayUrl),
    scrape(bookingUrl),
    scrape(workerUrl),
  ]);

  t.test('gateway', async (t) => {
    const g = gatewayScrape;
    t.equal(valueOf(g, 'waiting_room_joins_total', { queue: queueId, outcome: 'admitted' }), 1);
    t.equal(valueOf(g, 'waiting_room_joins_total', { queue: queueId, outcome: 'waiting' }), 1);
    t.equal(valueOf(g, 'waiting_room_joins_total', { queue: queueId, outcome: 'rejoined' }), 1);
    t.equal(valueOf(g, 'waiting_room_joins_total', { outcome: 'identity_invalid' }), 1);
    t.equal(valueOf(g, 'waiting_room_polls_total', { queue: queueId, outcome: 'waiting' }), 1);
    t.equal(valueOf(g, 'waiting_room_polls_total', { queue: queueId, outcome: 'active' }), 2);
    t.equal(valueOf(g, 'waiting_room_polls_total', { outcome: 'token_expired' }), 1);
    t.equal(valueOf(g, 'waiting_room_leaves_total', { queue: queueId, outcome: 'left' }), 1);
    t.equal(valueOf(g, 'waiting_room_waiting', { queue: queueId }), 0, 'nobody waits any more');
    t.equal(valueOf(g, 'waiting_room_active', { queue: queueId }), 0, 'nobody is active any more');
    t.equal(valueOf(g, 'http_errors_total', { route: '/queues/:queueId/tokens/me', code: 'TOKEN_EXPIRED' }), 1);
    t.equal(valueOf(g, 'service_ready'), 1);
    t.equal(valueOf(g, 'dependency_up', { dependency: 'redis' }), 1);
    t.equal(valueOf(g, 'dependency_up', { dependency: 'postgres' }), 1);
    t.equal(valueOf(g, 'pg_pool_connections_max'), 4, 'the gateway pool is 4');
    t.ok(valueOf(g, 'http_request_duration_seconds_count', { route: '/queues/:queueId/tokens' }) >= 3);
  });

  t.test('booking', async (t) => {
    const b = bookingScrape;
    t.equal(valueOf(b, 'booking_holds_total', { outcome: 'won' }), 2);
    t.equal(valueOf(b, 'booking_holds_total', { outcome: 'lost' }), 1);
    t.equal(valueOf(b, 'booking_holds_total', { outcome: 'limit' }), 1);
    t.equal(valueOf(b, 'booking_held_seats_total'), 2);
    t.equal(valueOf(b, 'booking_charges_total', { outcome: 'charged' }), 1, 'the replayed charge is not a charge');
    t.equal(valueOf(b, 'booking_charged_points_total'), 400_000);
    t.equal(valueOf(b, 'booking_payments_total', { outcome: 'paid' }), 1, 'the replayed payment is not a payment');
    t.equal(valueOf(b, 'booking_paid_points_total'), paid.amount);
    t.equal(valueOf(b, 'booking_idempotent_replays_total', { operation: 'chargePoints' }), 1);
    t.equal(valueOf(b, 'booking_idempotent_replays_total', { operation: 'payReservations' }), 1);
    t.equal(valueOf(b, 'pg_pool_connections_max'), context.config.DATABASE_POOL_SIZE);
    t.ok(
      b.samples.some((sample) => sample.name === 'pg_pool_requests_waiting'),
      'callers waiting for a connection',
    );
    t.ok(valueOf(b, 'pg_pool_connections_in_use') + valueOf(b, 'pg_pool_connections_idle') >= 1, 'connections open');
    t.equal(valueOf(b, 'service_ready'), 1);
  });

  t.test('worker', async (t) => {
    const w = workerScrape;
    t.ok(valueOf(w, 'bullmq_job_count', { queue: 'concert-jobs', service: 'worker' }) >= 1, "BullMQ's exporter");
    t.ok(valueOf(w, 'bullmq_job_completed_total', { queue: 'concert-jobs' }) >= 1, 'completed jobs recorded');
    t.ok(valueOf(w, 'worker_job_duration_seconds_count', { job_name: 'admit-queues' }) >= 1);
    t.equal(valueOf(w, 'service_ready'), 1);
  });

  t.test('every sample carries the service label of its process', async (t) => {
    for (const [service, s] of [
      ['gateway', gatewayScrape],
      ['booking', bookingScrape],
      ['worker', workerScrape],
    ] as const) {
      const unlabelled = s.samples.filter((sample) => sample.labels.service !== service).map((x) => x.name);
      t.same([...new Set(unlabelled)], [], `${service}: every sample has service="${service}"`);
    }
  });

  t.test('the dashboards and alert rules read only metrics the apps export', async (t) => {
    const exported = exportedNames([gatewayScrape, bookingScrape, workerScrape]);
    const queries = deployQueries(ROOT);
    t.ok(queries.length >= 20, `${queries.length} queries found`);
    const missing = queries.flatMap(({ file, expr }) =>
      metricNamesIn(expr)
        .filter((name) => name !== 'up' && !isExported(name, exported))
        .map((name) => `${file}: ${name} in ${expr}`),
    );
    t.same(missing, [], 'no query names a metric nobody exports');
  });

  t.test('the operations the business metrics watch are the routes’ operationIds', async (t) => {
    type Document = { paths: Record<string, Record<string, { operationId?: string }>> };
    const document = (await (await fetch(`${bookingUrl}/docs/json`)).json()) as Document;
    const ids = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
    for (const id of ['holdSeats', 'payReservations', 'chargePoints']) t.ok(ids.includes(id), id);
    // Refunds (v2) are counted as `refundPayment`: once the route exists it must carry that id.
    const refund = document.paths['/payments/{paymentId}/refund']?.post;
    if (refund) t.equal(refund.operationId, 'refundPayment');
    const gatewayDocument = (await (await fetch(`${gatewayUrl}/docs/json`)).json()) as Document;
    const gatewayIds = Object.values(gatewayDocument.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
    for (const id of ['joinQueue', 'pollToken', 'leaveQueue']) t.ok(gatewayIds.includes(id), id);
  });

  t.test('Bull Board shows the job schedulers, behind the admin key', async (t) => {
    t.equal((await fetch(`${workerUrl}/admin/jobs`)).status, 401, 'no key: 401');
    const wrong = await fetch(`${workerUrl}/admin/jobs/api/queues`, {
      headers: { 'x-admin-key': 'wrong-key-wrong-key' },
    });
    t.equal(wrong.status, 401);
    t.equal(((await wrong.json()) as { code: string }).code, 'ADMIN_KEY_INVALID');
    t.match(wrong.headers.get('www-authenticate'), /^Basic /, 'a browser is asked for the key');
    const page = await fetch(`${workerUrl}/admin/jobs`, { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    t.equal(page.status, 200);
    const html = await page.text();
    t.match(html, /<html/i);
    // The page's scripts are relative to its <base href="/admin/jobs/">.
    t.match(html, /<base href="\/admin\/jobs\/"/);
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
    const asset = await fetch(new URL(script!, `${workerUrl}/admin/jobs/`), {
      headers: { 'x-admin-key': TEST_ADMIN_KEY },
    });
    t.equal(asset.status, 200, 'its static files are served (@fastify/static on Node 20)');
    const basic = `Basic ${Buffer.from(`operator:${TEST_ADMIN_KEY}`).toString('base64')}`;
    const api = await fetch(`${workerUrl}/admin/jobs/api/job-schedulers`, { headers: { authorization: basic } });
    t.equal(api.status, 200, 'the admin key as a Basic password works too');
    const { schedulers } = (await api.json()) as { schedulers: { name?: string; queueName: string }[] };
    const jobs = [
      'admit-queues',
      'release-holds',
      'sweep-tokens',
      'forget-idempotency-records',
      'apply-outbox',
      'reconcile-seats-left',
    ];
    t.equal(schedulers.length, jobs.length, `${jobs.length} job schedulers`);
    t.ok(schedulers.every((scheduler) => scheduler.queueName === 'concert-jobs'));
    const text = JSON.stringify(schedulers);
    for (const job of jobs) {
      t.match(text, job, `scheduler ${job} is on the board`);
    }
  });
});
